"""Limit failed authentication attempts per client IP.

One budget is shared by pairing exchanges and WebSocket authentication: 10
failures per 10 minutes by default. With 60-bit pairing codes that live 5 minutes
and work once, this makes guessing hopeless. State lives in Django's cache
(per process in the embedded setup, shared through Redis when REDIS_URL is set).
"""

from __future__ import annotations

import math

from django.core.cache import cache

from t3site import clock

AUTH_FAILURE_LIMIT = 10
AUTH_FAILURE_WINDOW_SECONDS = 10 * 60


class FailureLimiter:
    def __init__(self, name: str, limit: int = AUTH_FAILURE_LIMIT, window_seconds: int = AUTH_FAILURE_WINDOW_SECONDS):
        self.name = name
        self.limit = limit
        self.window_seconds = window_seconds

    def _key(self, ip: str | None) -> str:
        return f"ratelimit:{self.name}:{ip or 'unknown'}"

    def _recent(self, ip: str | None, now: float) -> list[float]:
        stamps = cache.get(self._key(ip)) or []
        return [stamp for stamp in stamps if stamp > now - self.window_seconds]

    def retry_after(self, ip: str | None) -> int | None:
        """Return seconds until ``ip`` may try again, or None when it is under the limit."""
        now = clock.now().timestamp()
        recent = self._recent(ip, now)
        if len(recent) < self.limit:
            return None
        return max(1, math.ceil(recent[-self.limit] + self.window_seconds - now))

    def record_failure(self, ip: str | None) -> None:
        # Read-modify-write without a lock: two failures racing may count as one.
        # That can only let an attacker one attempt further, never lock anyone out.
        now = clock.now().timestamp()
        recent = self._recent(ip, now)[-self.limit :] + [now]
        cache.set(self._key(ip), recent, timeout=self.window_seconds)

    def reset(self, ip: str | None) -> None:
        cache.delete(self._key(ip))


auth_failures = FailureLimiter("auth")

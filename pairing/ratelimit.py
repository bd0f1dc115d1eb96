"""Limit failed authentication attempts per client IP.

One budget is shared by pairing exchanges and WebSocket authentication: 10
failures per 10 minutes by default. With 60-bit pairing codes that live 5 minutes
and work once, this makes guessing hopeless. State lives in Django's cache
(per process in the embedded setup, shared through Redis when REDIS_URL is set).

Counting is atomic (cache.add + cache.incr) and an attempt takes its slot
*before* it is checked, then gives it back if it succeeds: so a burst of
concurrent guesses cannot slip past the limit between a check and a record.
Windows are fixed (10-minute buckets), which at worst lets 2x the limit through
around a bucket boundary.
"""

from __future__ import annotations

from django.core.cache import cache

from t3site import clock

AUTH_FAILURE_LIMIT = 10
AUTH_FAILURE_WINDOW_SECONDS = 10 * 60


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"rate limited: retry in {retry_after} s")
        self.retry_after = retry_after


class FailureLimiter:
    def __init__(self, name: str, limit: int = AUTH_FAILURE_LIMIT, window_seconds: int = AUTH_FAILURE_WINDOW_SECONDS):
        self.name = name
        self.limit = limit
        self.window_seconds = window_seconds

    def _bucket(self, ip: str | None) -> tuple[str, int]:
        """Return the cache key of ``ip``'s current window and the seconds until that window ends."""
        now = clock.now().timestamp()
        window = int(now // self.window_seconds)
        retry_after = max(1, int((window + 1) * self.window_seconds - now))
        return f"ratelimit:{self.name}:{ip or 'unknown'}:{window}", retry_after

    def _count(self, key: str, delta: int) -> int:
        cache.add(key, 0, timeout=self.window_seconds + 60)
        try:
            return cache.incr(key, delta)
        except ValueError:  # the key expired between add and incr
            cache.add(key, max(delta, 0), timeout=self.window_seconds + 60)
            return max(delta, 0)

    def attempt(self, ip: str | None) -> Attempt:
        """Take a slot for one attempt; raise RateLimited when the window is full.

        A failed (or crashed) attempt keeps its slot; call ``succeeded()`` on the
        returned Attempt to give it back.
        """
        key, retry_after = self._bucket(ip)
        if self._count(key, 1) > self.limit:
            self._count(key, -1)
            raise RateLimited(retry_after)
        return Attempt(self, key)


class Attempt:
    def __init__(self, limiter: FailureLimiter, key: str):
        self._limiter = limiter
        self._key = key
        self._succeeded = False

    def succeeded(self) -> None:
        if not self._succeeded:
            self._succeeded = True
            self._limiter._count(self._key, -1)


auth_failures = FailureLimiter("auth")

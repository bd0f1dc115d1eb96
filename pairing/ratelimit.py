"""Limit failed authentication attempts per client IP.

One budget is shared by pairing exchanges and WebSocket authentication: 10
failures per 10 minutes by default. With 60-bit pairing codes that live 5 minutes
and work once, this makes guessing hopeless.

The counts live where a restart cannot wipe them, or a guesser could restart the
count by crashing the server or waiting for the owner to restart it: in Redis when
REDIS_URL is set (Django's cache is Redis then, shared by every server process),
else in the database (FailureWindow rows, also shared by every process on it).

Counting is atomic and an attempt takes its slot *before* it is checked, then gives
it back if it succeeds: so a burst of concurrent guesses cannot slip past the limit
between a check and a record. Windows are fixed (10-minute buckets), which at worst
lets 2x the limit through around a bucket boundary.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache

from pairing.models import FailureWindow
from t3site import clock

AUTH_FAILURE_LIMIT = 10
AUTH_FAILURE_WINDOW_SECONDS = 10 * 60
# A window's count is kept this long after the window ends, so giving a slot back never misses it.
WINDOW_GRACE_SECONDS = 60


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"rate limited: retry in {retry_after} s")
        self.retry_after = retry_after


def _add_in_cache(key: str, delta: int, expires_at: datetime) -> int:
    """Add ``delta`` to ``key`` in Django's cache (Redis: INCRBY is atomic) and return the count."""
    timeout = max(1, int((expires_at - clock.now()).total_seconds()))
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key, delta)
    except ValueError:  # the key expired between add and incr
        cache.add(key, max(delta, 0), timeout=timeout)
        return max(delta, 0)


def _add(key: str, delta: int, expires_at: datetime) -> int:
    if settings.T3SITE_FAILURE_COUNTS == "cache":
        return _add_in_cache(key, delta, expires_at)
    return FailureWindow.objects.add(key, delta, expires_at)


class FailureLimiter:
    def __init__(self, name: str, limit: int = AUTH_FAILURE_LIMIT, window_seconds: int = AUTH_FAILURE_WINDOW_SECONDS):
        self.name = name
        self.limit = limit
        self.window_seconds = window_seconds

    def _bucket(self, ip: str | None) -> tuple[str, datetime, int]:
        """Return the key of ``ip``'s current window, when its count may go, and the seconds until it ends."""
        now = clock.now()
        window = int(now.timestamp() // self.window_seconds)
        ends = datetime.fromtimestamp((window + 1) * self.window_seconds, tz=now.tzinfo)
        retry_after = max(1, int((ends - now).total_seconds()))
        key = f"ratelimit:{self.name}:{ip or 'unknown'}:{window}"
        return key, ends + timedelta(seconds=WINDOW_GRACE_SECONDS), retry_after

    def attempt(self, ip: str | None) -> Attempt:
        """Take a slot for one attempt; raise RateLimited when the window is full.

        A failed (or crashed) attempt keeps its slot; call ``succeeded()`` on the
        returned Attempt to give it back.
        """
        key, expires_at, retry_after = self._bucket(ip)
        if _add(key, 1, expires_at) > self.limit:
            _add(key, -1, expires_at)
            raise RateLimited(retry_after)
        return Attempt(key, expires_at)


class Attempt:
    def __init__(self, key: str, expires_at: datetime):
        self._key = key
        self._expires_at = expires_at
        self._succeeded = False

    def succeeded(self) -> None:
        if not self._succeeded:
            self._succeeded = True
            _add(self._key, -1, self._expires_at)


auth_failures = FailureLimiter("auth")

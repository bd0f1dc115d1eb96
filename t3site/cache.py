"""A small in-process cache of answers that are dear to compute and fine to reuse for a few seconds.

Django's cache is shared between processes (Redis when configured) and pickles what it holds;
these answers (a CLI's output, a network probe, a program's version) are this process's own
and cheap enough to recompute, so they stay in memory here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class TTLCache(Generic[T]):
    """Remember each key's answer for ``ttl_seconds``.

    An exception of one of the ``remember`` types is an answer too: it is raised again until it
    expires, so a failing program is not asked again on every look either. Two callers that
    miss at once both compute; the later answer is kept.
    """

    def __init__(self, ttl_seconds: float, remember: tuple[type[Exception], ...] = ()) -> None:
        self.ttl_seconds = ttl_seconds
        self._remember = remember
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, T | Exception]] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the answer for ``key``, calling ``compute()`` (outside the lock) when none is fresh."""
        hit = self._fresh(key)
        if hit is None:
            try:
                hit = self._store(key, compute())
            except self._remember as exc:
                hit = self._store(key, exc)
        return self._answer(hit)

    async def aget(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """Return the answer for ``key``, awaiting ``compute()`` when none is fresh."""
        hit = self._fresh(key)
        if hit is None:
            try:
                hit = self._store(key, await compute())
            except self._remember as exc:
                hit = self._store(key, exc)
        return self._answer(hit)

    def peek(self, key: Hashable, default: object = None) -> T | object:
        """Return the fresh answer for ``key`` without computing one, or ``default``."""
        hit = self._fresh(key)
        return default if hit is None else self._answer(hit)

    def put(self, key: Hashable, value: T) -> None:
        """Remember ``value`` for ``key`` (computed by the caller, for one that cannot wait in ``get``)."""
        self._store(key, value)

    def clear(self) -> None:
        """Forget every answer (after this process changed what they describe, or in tests)."""
        with self._lock:
            self._entries.clear()

    def _fresh(self, key: Hashable) -> tuple[float, T | Exception] | None:
        with self._lock:
            hit = self._entries.get(key)
        return hit if hit is not None and time.monotonic() - hit[0] < self.ttl_seconds else None

    def _store(self, key: Hashable, value: T | Exception) -> tuple[float, T | Exception]:
        now = time.monotonic()
        with self._lock:
            # Expired answers go as new ones come, so keys that are never asked again do not pile up.
            for stale in [k for k, (at, _) in self._entries.items() if now - at >= self.ttl_seconds]:
                del self._entries[stale]
            self._entries[key] = (now, value)
        return now, value

    @staticmethod
    def _answer(hit: tuple[float, T | Exception]) -> T:
        if isinstance(hit[1], Exception):
            raise hit[1]
        return hit[1]

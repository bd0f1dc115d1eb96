"""An in-process cache of the sessions raw tokens resolve to, so a busy client is not a query a request.

Keyed by the token's digest, never the token. Every revocation in this process drops it at once
(``sessions_revoked``). A revocation in another process (the CLI) must take effect on the very next
request (docs/contract.md §3), and nothing tells this process of it at once yet: until something
does, entries live 0 s, so every request reads the database (the suite caught a revoked token
answered for up to a second). The hot routes still skip Django's per-request thread.
"""

from __future__ import annotations

import copy

from django.db import connection
from django.dispatch import receiver

from pairing import tokens
from pairing.models import DeviceSession
from pairing.models.base import digest
from pairing.signals import sessions_revoked
from t3site.cache import TTLCache

RESOLVED_SESSION_TTL_SECONDS = 0.0

_resolved: TTLCache[DeviceSession | None] = TTLCache(RESOLVED_SESSION_TTL_SECONDS)
_MISS = object()
# Bumped by every revocation: a lookup that began before one must not store what it read.
_generation = 0


def cached_session(raw: str) -> DeviceSession | None | object:
    """Return the cached session of ``raw`` (a copy, or None for an unknown token), or ``MISS``.

    Never queries, so an async caller can answer from the cache without a thread hop. A cached
    session that looks no longer live is a miss: another process may have slid its expiry.
    """
    if not tokens.is_session_token(raw or ""):
        return None
    if connection.in_atomic_block:
        # Inside a transaction the database is read: the cache cannot know its uncommitted
        # writes, and a revocation in it announces itself only once it commits.
        return _MISS
    hit = _resolved.peek(digest(raw), _MISS)
    if hit is _MISS or (hit is not None and not hit.is_active):
        return _MISS
    return copy.copy(hit) if hit is not None else None


def session_for_token(raw: str) -> DeviceSession | None:
    """Return the session ``raw`` belongs to, whatever its state, from the cache or the database."""
    hit = cached_session(raw)
    if hit is not _MISS:
        return hit
    began = _generation
    session = DeviceSession.objects.for_token(raw)
    if began == _generation and not connection.in_atomic_block:
        _resolved.put(digest(raw), session)
    return copy.copy(session) if session is not None else None


def is_miss(value: object) -> bool:
    return value is _MISS


@receiver(sessions_revoked, dispatch_uid="pairing.resolved")
def forget_resolved_sessions(sender, **kwargs) -> None:
    """Drop every cached session once a revocation is committed, so no request sees it live."""
    global _generation
    _generation += 1
    _resolved.clear()

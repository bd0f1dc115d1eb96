"""An in-process cache of the sessions raw tokens resolve to, so a busy client is not a query a request.

Keyed by the token's digest, never the token. Every revocation in this process drops it at once
(``sessions_revoked``). A revocation in another process (the CLI) must take effect on the very next
request too (docs/contract.md §3): each entry keeps the database's change stamp read before the
row was (t3site.dbversion, SQLite's ``data_version``), and is used only while the stamp has not
moved, so any commit anywhere since, a revocation from a shell included, makes it a miss. Where
the database has no such stamp (PostgreSQL) nothing is kept and every request reads the database.
Entries are also bounded in age, so a session's row is read again now and then regardless.
"""

from __future__ import annotations

import asyncio
import copy

from django.db import connection
from django.dispatch import receiver

from pairing import tokens
from pairing.models import DeviceSession
from pairing.models.base import digest
from pairing.signals import sessions_revoked
from t3site import dbversion
from t3site.cache import TTLCache

RESOLVED_SESSION_TTL_SECONDS = 10.0

# digest → (the database's change stamp read before the row, the session or None).
_resolved: TTLCache[tuple[tuple[int, int], DeviceSession | None]] = TTLCache(RESOLVED_SESSION_TTL_SECONDS)
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
    if _in_transaction():
        # Inside a transaction the database is read: the cache cannot know its uncommitted
        # writes, and a revocation in it announces itself only once it commits.
        return _MISS
    entry = _resolved.peek(digest(raw), _MISS)
    if entry is _MISS:
        return _MISS
    stamp, hit = entry
    if stamp != dbversion.current() or (hit is not None and not hit.is_active):
        return _MISS
    return copy.copy(hit) if hit is not None else None


def session_for_token(raw: str) -> DeviceSession | None:
    """Return the session ``raw`` belongs to, whatever its state, from the cache or the database."""
    hit = cached_session(raw)
    if hit is not _MISS:
        return hit
    began = _generation
    # Read before the row: a commit after this moves the stamp, so what is read here is never
    # kept past it.
    stamp = dbversion.current()
    session = DeviceSession.objects.for_token(raw)
    if stamp is not None and began == _generation and not _in_transaction():
        _resolved.put(digest(raw), (stamp, session))
    return copy.copy(session) if session is not None else None


def _in_transaction() -> bool:
    """Return whether this thread is inside a database transaction.

    The event loop's thread never is (Django runs no query there), and asking it for its
    connection would build a whole DatabaseWrapper per request: each task is a context of
    its own, and Django's connections are per context in async code.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return connection.in_atomic_block
    return False


def is_miss(value: object) -> bool:
    return value is _MISS


@receiver(sessions_revoked, dispatch_uid="pairing.resolved")
def forget_resolved_sessions(sender, **kwargs) -> None:
    """Drop every cached session once a revocation is committed, so no request sees it live."""
    global _generation
    _generation += 1
    _resolved.clear()

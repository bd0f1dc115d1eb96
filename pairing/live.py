"""Close the open WebSockets of sessions that are revoked or expire.

Two paths, because a revocation can happen in any process:
- ``announce_revoked`` sends a group message at once. It reaches sockets in the
  revoking process (in-memory layer) or in every process (Redis layer).
- ``SocketRegistry`` runs in each server process while it has sockets open: once
  a second it asks the database which of its sessions are no longer live and
  closes their sockets. That catches `manage.py auth session revoke` run from a
  shell (another process, in-memory layer) and plain expiry, well inside the
  contract's 2 seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

logger = logging.getLogger("t3site.live")

WATCH_INTERVAL_SECONDS = 1.0
SESSION_ENDED_EVENT = "session.ended"


def group_for(session_id: str) -> str:
    return f"t3session.{session_id}"


def announce_revoked(session_ids: Iterable[str]) -> None:
    """Tell every socket of these sessions that it must close now (best effort)."""
    layer = get_channel_layer()
    if layer is None:
        return
    for session_id in session_ids:
        try:
            async_to_sync(layer.group_send)(group_for(session_id), {"type": SESSION_ENDED_EVENT})
        except Exception:  # the database row is what counts; the watcher closes the socket anyway
            logger.warning("could not announce the revocation of session %s", session_id, exc_info=True)


def _live_session_ids(session_ids: list[str]) -> set[str]:
    from pairing.models import DeviceSession

    return set(DeviceSession.objects.active().filter(pk__in=session_ids).values_list("pk", flat=True))


class SocketRegistry:
    """The open sockets of this process, by session, and the watcher that polices them."""

    def __init__(self) -> None:
        self._channels: dict[str, set[str]] = {}
        self._watcher: asyncio.Task | None = None

    def add(self, session_id: str, channel_name: str) -> None:
        self._channels.setdefault(session_id, set()).add(channel_name)
        loop = asyncio.get_running_loop()
        # A watcher of another (finished) event loop never runs again: start a new one.
        if self._watcher is None or self._watcher.done() or self._watcher.get_loop() is not loop:
            self._watcher = loop.create_task(self._watch())

    def discard(self, session_id: str, channel_name: str) -> None:
        channels = self._channels.get(session_id)
        if channels is not None:
            channels.discard(channel_name)
            if not channels:
                del self._channels[session_id]

    async def check_now(self) -> None:
        """Close the sockets of every watched session that is no longer live."""
        session_ids = list(self._channels)
        if not session_ids:
            return
        live = await database_sync_to_async(_live_session_ids)(session_ids)
        layer = get_channel_layer()
        for session_id in set(session_ids) - live:
            for channel_name in list(self._channels.get(session_id, ())):
                await layer.send(channel_name, {"type": SESSION_ENDED_EVENT})

    async def _watch(self) -> None:
        # Runs only while sockets are open, so an idle server makes no queries.
        while self._channels:
            await asyncio.sleep(WATCH_INTERVAL_SECONDS)
            try:
                await self.check_now()
            except Exception:
                logger.warning("session watcher check failed; retrying", exc_info=True)


registry = SocketRegistry()

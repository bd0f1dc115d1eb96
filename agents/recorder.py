"""Write a live session's updates to the database in the order they arrived, without holding up the stream.

Updates reach the sockets at once; their rows follow through one writer task per
session, which writes whatever piled up meanwhile in one transaction (a burst of
message chunks becomes one write, not hundreds).
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async

from agents.models import AgentSession

logger = logging.getLogger("t3site.agents")


class Recorder:
    def __init__(self, record: AgentSession) -> None:
        self._record = record
        self._pending: list[tuple[int, dict]] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task = asyncio.get_running_loop().create_task(self._write_all())

    def put(self, seq: int, payload: dict) -> None:
        """Queue update ``seq`` for the record."""
        self._pending.append((seq, payload))
        self._idle.clear()
        self._wake.set()

    async def flush(self) -> None:
        """Wait until every queued update is in the database."""
        await self._idle.wait()

    def take_pending(self) -> list[tuple[int, dict]]:
        """Stop writing and return what was not written yet (the server is stopping; it writes them itself)."""
        self._task.cancel()
        pending, self._pending = self._pending, []
        return pending

    async def stop(self) -> None:
        await self.flush()
        self._task.cancel()

    async def _write_all(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if batch:
                try:
                    await database_sync_to_async(self._record.record)(batch)
                except Exception:  # the stream goes on; only the record has a gap
                    logger.exception("could not record %d updates of agent session %s", len(batch), self._record.id)
            if not self._pending:
                self._idle.set()

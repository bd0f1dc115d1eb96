"""The relayed socket ``/via/<environmentId>/ws``: a device paired here, carried to a saved backend.

Authenticated exactly as /ws, by the same code (workspace.consumers.DeviceConsumer), then joined
to the backend's own /ws, opened with the credential this server holds there and a ticket narrowed
to what the device may do (relay.upstream). From then on every frame passes unchanged, both ways:
the backend answers and enforces the protocol, the relay only carries. What ends the socket, and its close code:
- the device's session here is revoked or expires: 4410, as on /ws (the session's group);
- the environment is removed here, or its credential forgotten: 4410 (relay.removals);
  both at once even while a device's frame waits for a backend that stopped reading (ENDING_MESSAGES);
- the backend closes its side with a 4xxx code (4410: it revoked the saved credential): the same code;
- the backend cannot be reached or goes away: 4502, the reason says why.
Frames from the backend go out through an Outbox (workspace.outbox); while the device is behind,
the relay stops reading the backend, whose own outbox then paces its terminals as for any
slow reader.
"""

from __future__ import annotations

import contextlib
import logging

from channels.db import database_sync_to_async
from django.db import DatabaseError
from websockets.exceptions import ConnectionClosed

from pairing.wsauth import CLOSE_FORBIDDEN, CLOSE_SESSION_ENDED
from relay import removals, upstream
from workspace.consumers import CLOSE_NOT_READING, DeviceConsumer
from workspace.outbox import Outbox, transport_of

logger = logging.getLogger("t3site.relay")

CLOSE_NO_SUCH_ENVIRONMENT = 4404
CLOSE_BACKEND_UNREACHABLE = 4502
# Unsent backend frames past which the relay stops reading the backend until the device catches up.
PAUSE_BACKLOG_CHARS = 1024 * 1024
# How long a paused read waits for the device between looks (it never gives up by itself).
PAUSE_STALL_SECONDS = 5.0
# RFC 6455: a close frame's reason is at most 123 bytes of UTF-8.
CLOSE_REASON_MAX_BYTES = 123


def close_reason(text: str) -> str:
    """Return ``text`` cut to what a close frame can carry, on a character boundary."""
    return text.encode()[:CLOSE_REASON_MAX_BYTES].decode(errors="ignore")


def backend_closed(code: int, reason: str) -> tuple[int, str]:
    """Return the close code and reason for the device when the backend closed with ``code`` (1006: it vanished).

    The backend's own 4xxx codes mean what they mean on its /ws (4410: the saved credential was
    revoked there), so the device gets them as they are; anything else is the backend going away.
    """
    if 4000 <= code <= 4999:
        return code, f"the backend closed it: {reason or code}"
    if code == 1001:
        return CLOSE_BACKEND_UNREACHABLE, "the backend is going away (it stopped or restarts)"
    if code == 1006:
        return CLOSE_BACKEND_UNREACHABLE, "the connection to the backend was lost"
    return CLOSE_BACKEND_UNREACHABLE, f"the backend closed the connection ({code} {reason})".strip()


class RelayConsumer(DeviceConsumer):
    ENDING_MESSAGES = DeviceConsumer.ENDING_MESSAGES | {removals.ENVIRONMENT_REMOVED_EVENT}
    backend = None
    _environment_key: str | None = None

    async def opened(self) -> None:
        environment_id = self.scope["url_route"]["kwargs"]["environment_id"]
        found = await database_sync_to_async(upstream.find)(environment_id)
        if found is None:
            reason = f"no saved environment {environment_id} that this server holds a credential for"
            await self.close(code=CLOSE_NO_SUCH_ENVIRONMENT, reason=close_reason(reason))
            return
        self._environment_key = found.environment.pk
        await removals.watcher.join(self.channel_layer, self.channel_name, self._environment_key)
        try:
            self.backend = await found.open(self.session.scopes)
        except upstream.NoSharedScope as exc:
            await self.close(code=CLOSE_FORBIDDEN, reason=close_reason(str(exc)))
            return
        except upstream.Unreachable as exc:
            await self.close(code=CLOSE_BACKEND_UNREACHABLE, reason=close_reason(str(exc)))
            return
        self.outbox = Outbox(self._send_frame, transport_of(self.base_send), on_overflow=self._not_reading)
        self._spawn(self._carry_backend_frames())
        self._spawn(self._note_connected(found.environment))

    async def _note_connected(self, environment) -> None:
        """Move the environment's lastConnectedAt, in the background: frames never wait for this
        write, and a database that stays busy costs a log line, not the socket."""
        try:
            await database_sync_to_async(environment.note_connected)()
        except DatabaseError:
            logger.warning("could not note that environment %s was reached", environment.environment_id, exc_info=True)

    async def closed(self) -> None:
        if self._environment_key is not None:
            await removals.watcher.leave(self.channel_layer, self.channel_name, self._environment_key)
        for task in list(self._background):
            task.cancel()
        if self.backend is not None:
            self.outbox.close()
            # The backend's terminals outlive this socket, as any other: terminal.attach finds them again.
            await self.backend.close()
            self.backend = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.backend is None:
            return
        self._keep_session_alive()
        # A closed backend is seen by the reading task too, which closes the device's socket with the reason.
        with contextlib.suppress(ConnectionClosed):
            # Waits while the backend's socket is full: a device that sends faster than the backend
            # reads is held up here, not buffered without end.
            await self.backend.send(text_data if text_data is not None else bytes_data)

    async def environment_removed(self, event: dict) -> None:
        """The environment was removed here, or its credential forgotten: nothing may reach it through us."""
        await self.end(CLOSE_SESSION_ENDED, "the environment was removed from this server")

    async def _send_frame(self, frame: str | bytes) -> None:
        if isinstance(frame, str):
            await self.send(text_data=frame)
        else:
            await self.send(bytes_data=frame)

    async def _carry_backend_frames(self) -> None:
        backend = self.backend
        try:
            async for frame in backend:
                self.outbox.put(frame)
                while self.outbox.backlog_chars >= PAUSE_BACKLOG_CHARS:
                    await self.outbox.drained(PAUSE_BACKLOG_CHARS, PAUSE_STALL_SECONDS)
        except ConnectionClosed:
            pass
        await backend.wait_closed()
        code, reason = backend_closed(backend.close_code, backend.close_reason or "")
        # What the backend sent before it closed goes out first: the close waits for the outbox.
        await self.outbox.drained(1, PAUSE_STALL_SECONDS)
        await self.close(code=code, reason=close_reason(reason))

    def _not_reading(self) -> None:
        logger.warning("Closing a relayed socket whose client stopped reading.")
        self._spawn(self.close(code=CLOSE_NOT_READING, reason="too many unread frames: the client stopped reading"))

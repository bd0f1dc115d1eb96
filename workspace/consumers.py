"""The /ws socket: authenticate the handshake, then frame JSON-RPC 2.0.

What every socket a paired device opens does with its session (the handshake's
authentication, closing 4410 when the session ends, keeping it alive while used) is
``DeviceConsumer``'s, which relay's /via/<environmentId>/ws shares.

Each request runs in its own task (at most ``MAX_CONCURRENT_CALLS`` at once, at
most ``MAX_CALLS_IN_FLIGHT`` accepted and not yet answered) so a slow git call never holds up terminal
keystrokes on the same socket. Keystrokes and resizes (``ORDERED_METHODS``) are
different: they never wait, and run in ``receive`` itself, one frame after the
other, so they reach the program in the order they were typed.

Every frame leaves through the socket's outbox (workspace.outbox), which sends
only as fast as the client reads, in the order the frames were made; a client
that asks and stops reading is closed (``CLOSE_NOT_READING``) once its backlog
passes the outbox's limit. No frame is larger than
``T3SITE_WEBSOCKET_MESSAGE_LIMIT_BYTES``: a larger answer becomes -32010.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Callable

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from pairing import revocation
from pairing.lifetimes import TOUCH_INTERVAL_SECONDS
from pairing.scopes import READ
from pairing.wsauth import CLOSE_SESSION_ENDED, accepted_from_memory, authenticate_socket
from t3site.inbox import Inbox
from workspace import project_changes, rpc
from workspace.outbox import Outbox, frame, transport_of

logger = logging.getLogger("t3site.ws")

MAX_CONCURRENT_CALLS = 16
# Requests accepted but not answered yet; past this a socket is flooding, and is told so.
MAX_CALLS_IN_FLIGHT = 64
# Run inline, in arrival order: they only queue input or set a size, never wait.
ORDERED_METHODS = frozenset({"terminal.write", "terminal.resize"})
# The client left more answers unread than the outbox holds (HTTP's 413 in the 4xxx range that
# applications may use: RFC 6455's own 1008 is not ours to send through daphne).
CLOSE_NOT_READING = 4413


class DeviceConsumer(AsyncWebsocketConsumer):
    """A socket a paired device opens: authenticated at the handshake (pairing.wsauth), then tied to its session.

    A refused handshake is accepted and closed at once with the refusal's 44xx code. An accepted
    socket joins its session's revocation group, so a revoked or expired session closes it (4410),
    and its use keeps the session alive. A subclass serves the device in ``opened`` and undoes that
    in ``closed``; ``_spawn`` runs background work the socket keeps a reference to.
    """

    session = None
    # Set once the socket is closing for a reason that takes effect at once (``end``).
    ending = False
    # Channel-layer messages that end the socket (their handlers call ``end``): with daphne, they
    # are handled as they arrive, ahead of the client's frames still queued (``_forward_layer``).
    ENDING_MESSAGES = frozenset({revocation.SESSION_ENDED_EVENT})

    async def __call__(self, scope, receive, send) -> None:
        """Channels' AsyncConsumer.__call__, with the client's frames read straight from daphne's Inbox.

        Channels waits on the connection and the channel layer through ``asyncio.wait`` over two
        tasks, and makes a new task for every message: three turns of the event loop between a
        frame's arrival and its handler. Here the channel layer's messages are put into the
        connection's own Inbox as they come, and one loop takes them all in order: one turn.
        Anything but server.listener's Inbox (Channels' test communicator) gets Channels' way.
        """
        inbox = getattr(receive, "__self__", None)
        if not isinstance(inbox, Inbox):
            await super().__call__(scope, receive, send)
            return
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        forwarder = None
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
            forwarder = asyncio.get_running_loop().create_task(self._forward_layer(inbox))
        self.base_send = send
        try:
            while True:
                message = await inbox.get()
                if isinstance(message, BaseException):
                    raise message
                await self.dispatch(message)
        except StopConsumer:
            pass
        finally:
            if forwarder is not None:
                forwarder.cancel()
                try:
                    await forwarder
                except asyncio.CancelledError:
                    # The forwarder's own end, expected; but if this task is being cancelled too,
                    # that cancellation must go on.
                    if asyncio.current_task().cancelling():
                        raise

    async def _forward_layer(self, inbox: Inbox) -> None:
        # The layer's messages wait in the Inbox instead of the layer's channel, so its capacity no
        # longer holds senders back: they are a socket's few notices (revocation, projects.changed,
        # a removed environment), never terminal output, which goes to the outbox directly.
        try:
            while True:
                message = await self.channel_receive()
                if message.get("type") in self.ENDING_MESSAGES:
                    # Not behind the client's frames: one of their handlers may be waiting (a relayed
                    # frame, for a backend that stopped reading), and the socket must close at once.
                    await self.dispatch(message)
                else:
                    inbox.put_nowait(message)
        except Exception as exc:  # raised in the consumer, as Channels' loop would (a cancel is no Exception)
            inbox.put_nowait(exc)

    async def dispatch(self, message: dict) -> None:
        """Take the handshake and the client's frames without Channels' database-thread round trip first.

        Channels closes stale database connections (on its database thread) before every
        message: a thread hop in front of every keystroke, and of every handshake. These
        consumers touch the database only through ``database_sync_to_async``, which closes
        stale connections itself, before and after, on the thread that uses them; ``connect``
        needs none at all when the session is known in memory. Other messages keep the round
        trip: a channel-layer notification sent from a method's own commit (projects.changed)
        then waits for that method's database work, and reaches the client after the method's
        answer, as it always has.
        """
        if message["type"] == "websocket.receive":
            if not self.ending:  # what the client sent after its session ended is not acted on
                await self.websocket_receive(message)
        elif message["type"] == "websocket.connect":
            await self.websocket_connect(message)
        else:
            await super().dispatch(message)

    async def connect(self) -> None:
        # A device reconnecting with a session this process resolved is let in without a thread hop.
        result = accepted_from_memory(self.scope) or await database_sync_to_async(authenticate_socket)(self.scope)
        # Accept first: a close frame with our 44xx (or relay's 45xx) code is only deliverable on an open socket.
        await self.accept()
        if result.session is None:
            await self.close(code=result.close_code, reason=result.reason)
            return
        self.session = result.session
        self._background: set[asyncio.Task] = set()
        self._last_touch = time.monotonic()
        await revocation.watcher.join(self.channel_layer, self.channel_name, self.session.id)
        await self.opened()

    async def opened(self) -> None:
        """Start serving the device whose session is ``self.session``."""

    async def disconnect(self, code: int) -> None:
        if self.session is None:
            return
        await revocation.watcher.leave(self.channel_layer, self.channel_name, self.session.id)
        await self.closed()
        self.session = None

    async def closed(self) -> None:
        """Undo what ``opened`` did; ``self.session`` is still the device's."""

    async def session_ended(self, event: dict) -> None:
        """The session was revoked or expired: 4410 tells the client to re-pair, not retry."""
        await self.end(CLOSE_SESSION_ENDED, "session revoked or expired")

    async def end(self, code: int, reason: str) -> None:
        """Close the socket for a reason that takes effect at once (a revocation, a removal):
        the client's frames still queued are not acted on."""
        if self.session is not None and not self.ending:
            self.ending = True
            await self.close(code=code, reason=reason)

    def _keep_session_alive(self) -> None:
        # In the background, at most once a minute: a frame never waits for this write, so frames keep their order.
        if time.monotonic() - self._last_touch >= TOUCH_INTERVAL_SECONDS:
            self._last_touch = time.monotonic()
            self._spawn(database_sync_to_async(self.session.touch)())

    def _spawn(self, work) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._background.discard)
        return task


class WorkspaceConsumer(DeviceConsumer):
    async def opened(self) -> None:
        self._calls: set[asyncio.Task] = set()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_CALLS)
        self.outbox = Outbox(self.send, transport_of(self.base_send), on_overflow=self._not_reading)
        self._on_disconnect: dict[Callable[[WorkspaceConsumer], None], None] = {}  # an ordered set
        # projects.changed carries the project list, which only the read scope may see.
        if self.session.has_scope(READ):
            await project_changes.watcher.join(self.channel_layer, self.channel_name)

    async def closed(self) -> None:
        await project_changes.watcher.leave(self.channel_layer, self.channel_name)
        for task in list(self._calls):
            task.cancel()
        # Methods that tie this socket to longer-lived things (terminals, agent sessions) undo that here.
        callbacks, self._on_disconnect = list(self._on_disconnect), {}
        for callback in callbacks:
            callback(self)
        self.outbox.close()

    def on_disconnect(self, callback: Callable[[WorkspaceConsumer], None]) -> None:
        """Call ``callback(self)`` once when this socket goes; the same callback registered twice runs once."""
        self._on_disconnect[callback] = None

    def _not_reading(self) -> None:
        # The outbox has already let go of the backlog; the socket goes too.
        logger.warning("Closing a socket whose client stopped reading its answers.")
        self._spawn(self.close(code=CLOSE_NOT_READING, reason="too many unread answers: the client stopped reading"))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is None:
            return
        if text_data is None:
            self._reply(None, error=rpc.RpcError(rpc.INVALID_REQUEST, "send text frames"))
            return
        try:
            payload = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
            self._reply(None, error=rpc.RpcError(rpc.PARSE_ERROR, "parse error"))
            return
        try:
            request = rpc.parse_request(payload)
        except rpc.RpcError as exc:  # not a request, so not a notification either: it is answered, with id null
            self._reply(None, error=exc)
            return
        self._keep_session_alive()
        if request.method in ORDERED_METHODS:
            await self._answer(request)
            return
        if len(self._calls) >= MAX_CALLS_IN_FLIGHT:
            if not request.is_notification:
                self._reply(request.id, error=rpc.RpcError(rpc.TOO_LARGE, "too many requests in flight"))
            return
        task = asyncio.get_running_loop().create_task(self._answer_in_turn(request))
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)

    async def _answer_in_turn(self, request: rpc.Request) -> None:
        async with self._slots:
            await self._answer(request)

    async def _answer(self, request: rpc.Request) -> None:
        try:
            call = rpc.Call(session=self.session, params=request.params, notify=self.notify, connection=self)
            result = await rpc.dispatch(request.method, call)
        except rpc.RpcError as exc:
            error = exc
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("JSON-RPC method failed")
            error = rpc.RpcError(rpc.INTERNAL_ERROR, "internal error")
        else:
            if not request.is_notification:
                self._reply(request.id, result=result)
            return
        # A JSON-RPC notification (a valid request without an id) gets no answer, not even an error.
        if not request.is_notification:
            self._reply(request.id, error=error)

    def _reply(self, request_id, *, result=None, error: rpc.RpcError | None = None) -> None:
        if error is not None:
            text = frame({"id": request_id, "error": error.as_dict()})
        else:
            text = frame({"id": request_id, "result": result})
        limit = settings.T3SITE_WEBSOCKET_MESSAGE_LIMIT_BYTES
        # json.dumps escapes every non-ASCII character, so characters are bytes here.
        if len(text) > limit:
            too_large = rpc.RpcError(
                rpc.TOO_LARGE, "the answer is larger than one WebSocket message", {"size": len(text), "limit": limit}
            )
            text = frame({"id": request_id, "error": too_large.as_dict()})
        # Queued at once, before any await: an answer (terminal.attach's scrollback) goes out
        # ahead of whatever output follows it.
        self.outbox.put(text)

    async def notify(self, method: str, params: dict) -> None:
        """Send a server notification to this socket."""
        self.outbox.notify(method, params)

    async def rpc_notification(self, event: dict) -> None:
        """Relay a notification sent to this socket through the channel layer."""
        await self.notify(event["method"], event["params"])

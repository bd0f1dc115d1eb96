"""Every frame a socket has yet to send, paced by the network and measured. No Django imports.

Daphne hands each frame to Twisted, which keeps it in user space until the
kernel takes it: ``await send(...)`` returns at once however slowly the client
reads, so a fast program, or a client asking for many large answers without
reading them, would grow the server without limit. Every frame (answers,
notifications, terminal output) therefore goes through one Outbox per socket:
a queue drained by one sender task, which hands Twisted the next frame only
while Twisted's write buffer for this connection holds less than
``TRANSPORT_BUFFER_LIMIT_BYTES`` (a frame that finds nothing queued and room in
the buffer is handed over in the call, with no task, and the connection's write
gives the kernel what it takes at once). When it holds more, the sender waits for Twisted to
say the buffer was written out (a streaming producer on the connection, ``Transport``)
rather than looking again after a fixed time: a 10 ms poll capped one socket at about
256 KiB per 10 ms, 25 MB/s, whenever the client read a little slower than the server
wrote (docs/benchmarks.md). What the client has not taken yet then piles
up here, where it is counted (``backlog_chars``): terminals pace their programs
on it and detach a socket that stopped reading (see terminals.terminal), and a
backlog past ``BACKLOG_LIMIT_CHARS`` ends the socket (``on_overflow``) and frees
what it held.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import json
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial

from twisted.internet.abstract import FileDescriptor

logger = logging.getLogger("t3site.ws")

# Twisted's own buffer for one connection, on top of the kernel's socket buffer.
TRANSPORT_BUFFER_LIMIT_BYTES = 256 * 1024
# How often a blocked sender looks at a transport that cannot tell it when it has room.
TRANSPORT_POLL_SECONDS = 0.01
# The longest a blocked sender waits for the transport's word before it looks again itself.
TRANSPORT_WAKE_SECONDS = 0.25
# Unsent frames one socket may hold. Terminals detach a socket long before (at 8 M), so only
# answers a client asked for and does not read get here: past it the socket is closed.
BACKLOG_LIMIT_CHARS = 32 * 1024 * 1024


def _give_back_memory() -> None:
    """Hand freed heap pages back to the system after a large backlog was dropped.

    The frames were freed, but glibc keeps freed heap memory for reuse: a server
    that had to drop 32 MiB would stay that large. malloc_trim(0) is glibc's
    documented way to give it back; elsewhere there is nothing to call.
    """
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def frame(payload: dict) -> str:
    """Return a JSON-RPC 2.0 text frame."""
    return json.dumps({"jsonrpc": "2.0", **payload}, separators=(",", ":"))


class Transport:
    """One connection's Twisted transport as the sender sees it: how much it holds, and when it has room.

    Registered on the transport as a streaming producer (Twisted's interface for exactly this):
    Twisted pauses it when its buffer passes ``bufferSize`` and resumes it once the buffer is
    written out, which wakes a sender waiting in ``room()``. A WebSocket's transport already has
    one, the HTTP channel it was upgraded from (which stops reading the connection while its
    sends are stuck): it is kept, behind this one, and told everything it was told before.
    """

    __slots__ = ("_behind", "_protocol", "_registered", "_waiter")

    def __init__(self, protocol) -> None:
        self._protocol = protocol
        self._waiter: asyncio.Future | None = None
        self._registered = False
        self._behind = None
        descriptor = self._descriptor()
        if descriptor is None or (descriptor.producer is not None and not descriptor.streamingProducer):
            return  # a pull producer cannot be put behind this one: poll instead
        if descriptor.producer is not None:
            self._behind = descriptor.producer
            descriptor.unregisterProducer()
        descriptor.registerProducer(self, True)
        self._registered = True
        _write_through(descriptor)

    def _descriptor(self) -> FileDescriptor | None:
        transport = self._protocol.transport
        while transport is not None and not isinstance(transport, FileDescriptor):
            transport = getattr(transport, "transport", None)
        return transport

    def buffered(self) -> int:
        """Return the bytes Twisted holds for this connection and the kernel has not taken yet."""
        transport = self._descriptor()
        if transport is None:  # the connection is gone: nothing more will be buffered
            return 0
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen

    async def room(self) -> None:
        """Wait until Twisted has written its buffer out (or TRANSPORT_POLL_SECONDS, when nothing
        tells this transport: another producer was registered first)."""
        if not self._registered:
            await asyncio.sleep(TRANSPORT_POLL_SECONDS)
            return
        if self._waiter is None or self._waiter.done():
            self._waiter = asyncio.get_running_loop().create_future()
        # Bounded all the same: a wake-up this code did not foresee costs a look, never a stuck socket.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._waiter), TRANSPORT_WAKE_SECONDS)

    def send_now(self, text: str | bytes) -> None:
        """Hand daphne one frame and the kernel its bytes, in this call (no task, no reactor turn)."""
        key = "text" if isinstance(text, str) else "bytes"
        self._protocol.handle_reply({"type": "websocket.send", key: text})

    def release(self) -> None:
        """Stop listening to the transport (the socket is closing), give it back the producer it
        had, and wake a waiting sender."""
        descriptor = self._descriptor() if self._registered else None
        self._registered = False
        if descriptor is not None and descriptor.producer is self:
            descriptor.unregisterProducer()
            if self._behind is not None and descriptor.connected:
                descriptor.registerProducer(self._behind, True)
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # Twisted's IPushProducer: the sender measures the buffer itself before every frame, so a pause
    # needs nothing here; the resume is the word it waits for.
    def pauseProducing(self) -> None:  # noqa: N802
        if self._behind is not None:
            self._behind.pauseProducing()

    def resumeProducing(self) -> None:  # noqa: N802
        if self._behind is not None:
            self._behind.resumeProducing()
        self._wake()

    def stopProducing(self) -> None:  # noqa: N802
        self._registered = False
        if self._behind is not None:
            self._behind.stopProducing()
        self._wake()


def _write_through(descriptor: FileDescriptor) -> None:
    """Make ``descriptor.write`` hand the kernel what it can at once while nothing waits before it.

    Twisted's ``write`` only buffers, and sends once the reactor sees the socket writable: an
    epoll_ctl to watch it, a turn of the event loop, the send, another epoll_ctl to stop. asyncio's
    and Tornado's transports try the send first; this does the same, and leaves to Twisted's
    ``write`` whatever the kernel did not take (and any error, which its next write finds).
    The connection is held by a weak reference, so it is not in a cycle with its own ``write``
    and is freed as soon as nothing else holds it.
    """
    cls = type(descriptor)
    if getattr(cls, "writeSomeData", None) is None:
        return
    connection = weakref.ref(descriptor)

    def write(data: bytes) -> None:
        held = connection()
        if held is None:
            return
        if (
            data
            and held.connected
            and not getattr(held, "TLS", False)  # started TLS (startTLS): its write encrypts first
            and not held.disconnecting
            and not getattr(held, "_aborting", False)  # aborted: Twisted drops what is written now
            and not held._writeDisconnected
            and not held._tempDataLen
            and held.offset == len(held.dataBuffer)
        ):
            sent = cls.writeSomeData(held, data)
            if isinstance(sent, int) and sent > 0:
                data = data[sent:]
        if data:
            cls.write(held, data)

    descriptor.write = write


def transport_of(send: Callable) -> Transport | None:
    """Return the Twisted transport behind daphne's ``send``; None elsewhere.

    Daphne gives an application ``send = partial(server.handle_reply, protocol)``;
    the protocol's transport (under a TLS wrapper, the transport beneath it) is a
    Twisted FileDescriptor, whose documented buffer is ``dataBuffer`` from
    ``offset`` plus the writes not yet joined into it. Anything else (Channels'
    test communicator) has no buffer to measure, and the sender never waits.
    """
    protocol = send.args[0] if isinstance(send, partial) and send.args else None
    if getattr(protocol, "transport", None) is None:
        return None
    return Transport(protocol)


class Outbox:
    """Frames for one socket, sent in order by one task as fast as the client takes them."""

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        transport: Transport | None,
        on_overflow: Callable[[], None] = lambda: None,
        limit_chars: int = BACKLOG_LIMIT_CHARS,
    ) -> None:
        self.backlog_chars = 0
        self._send = send
        self._transport = transport
        self._on_overflow = on_overflow
        self._limit_chars = limit_chars
        # Made with the first frame: an empty deque is half a KiB, and most sockets sit idle.
        self._frames: deque[tuple[str | None, str]] | None = None
        self._loop = asyncio.get_running_loop()
        # Made when someone waits for progress, and the sender task only while frames are queued:
        # an idle socket holds neither.
        self._progress: asyncio.Future | None = None
        self._closed = False
        self._sender: asyncio.Task | None = None

    def notify(self, method: str, params: dict, tag: str | None = None) -> None:
        """Queue a notification; ``tag`` names the frames ``drop`` may take back."""
        self.put(frame({"method": method, "params": params}), tag)

    def put(self, text: str, tag: str | None = None) -> None:
        """Queue a frame; past the backlog limit, close this outbox and tell its owner instead."""
        if self._closed:
            return
        if (
            self._sender is None
            and not self._frames
            and self._transport is not None
            and self._transport.buffered() < TRANSPORT_BUFFER_LIMIT_BYTES
        ):
            # Nothing queued before it and room in the connection: out at once, as a keystroke's echo should.
            try:
                self._transport.send_now(text)
            except Exception:  # the socket is closing; its disconnect closes this outbox
                logger.debug("could not send a frame to a closing socket", exc_info=True)
            return
        if self._frames is None:
            self._frames = deque()
        self._frames.append((tag, text))
        self.backlog_chars += len(text)
        if self._sender is None:
            self._sender = self._loop.create_task(self._send_all())
        if self.backlog_chars > self._limit_chars:
            self.close()
            _give_back_memory()
            self._on_overflow()

    def drop(self, tag: str) -> None:
        """Forget the queued frames tagged ``tag`` (a terminal's output the client will get as scrollback)."""
        kept = deque(item for item in self._frames or () if item[0] != tag)
        self.backlog_chars = sum(len(text) for _, text in kept)
        self._frames = kept
        self._made_progress()

    async def drained(self, below_chars: int, stall_seconds: float) -> bool:
        """Wait until the backlog is under ``below_chars``; False once nothing went out for ``stall_seconds``."""
        while self.backlog_chars >= below_chars and not self._closed:
            if self._progress is None:
                self._progress = self._loop.create_future()
            try:
                await asyncio.wait_for(asyncio.shield(self._progress), stall_seconds)
            except TimeoutError:
                return False
        return True

    def close(self) -> None:
        """Stop sending and forget the backlog (the socket went away)."""
        self._closed = True
        if self._transport is not None:
            self._transport.release()
        self._frames = None
        self.backlog_chars = 0
        if self._sender is not None:
            self._sender.cancel()
        self._made_progress()

    def _made_progress(self) -> None:
        waiters, self._progress = self._progress, None
        if waiters is not None:
            waiters.set_result(None)

    async def _send_all(self) -> None:
        """Send the queued frames, then end: the next ``put`` starts a new sender."""
        try:
            await self._send_queued()
        finally:
            self._sender = None
            if not self._frames:
                self._frames = None  # an idle socket keeps no queue

    async def _send_queued(self) -> None:
        while self._frames:
            if self._transport is not None and self._transport.buffered() >= TRANSPORT_BUFFER_LIMIT_BYTES:
                # The client is behind: wait until Twisted has handed the kernel what it holds.
                await self._transport.room()
                continue
            _, text = self._frames.popleft()
            self.backlog_chars -= len(text)
            try:
                await self._send(text)
            except Exception:  # the socket is closing; its disconnect closes this outbox
                logger.debug("could not send a frame to a closing socket", exc_info=True)
            self._made_progress()

"""The outbox on its own: frames in order, and nothing left running for an idle socket."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import weakref
from types import SimpleNamespace

from twisted.internet import reactor, tcp
from twisted.internet.abstract import FileDescriptor
from twisted.internet.protocol import Protocol

from workspace.outbox import TRANSPORT_BUFFER_LIMIT_BYTES, Outbox, Transport, _write_through


def run(scenario) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_an_idle_outbox_runs_no_task():
    async def scenario():
        before = len(asyncio.all_tasks())
        sent: list[str] = []

        async def send(text: str) -> None:
            sent.append(text)

        outbox = Outbox(send, None)
        assert len(asyncio.all_tasks()) == before
        outbox.put("one")
        outbox.put("two")
        while outbox.backlog_chars:
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert sent == ["one", "two"]
        assert len(asyncio.all_tasks()) == before
        outbox.put("three")
        await asyncio.sleep(0.01)
        assert sent == ["one", "two", "three"]
        outbox.close()

    run(scenario)


def test_it_tells_a_waiting_terminal_when_the_backlog_went_out():
    async def scenario():
        release = asyncio.Event()

        async def send(text: str) -> None:
            await release.wait()

        outbox = Outbox(send, None)
        outbox.put("x" * 100)
        outbox.put("y" * 100)
        waiting = asyncio.get_running_loop().create_task(outbox.drained(50, stall_seconds=5))
        await asyncio.sleep(0.01)
        assert not waiting.done()
        release.set()
        assert await waiting is True
        outbox.close()

    run(scenario)


def test_a_closed_outbox_takes_no_more_frames():
    async def scenario():
        sent: list[str] = []

        async def send(text: str) -> None:
            sent.append(text)

        outbox = Outbox(send, None)
        outbox.close()
        outbox.put("late")
        await asyncio.sleep(0.01)
        assert sent == [] and outbox.backlog_chars == 0

    run(scenario)


class Connection(FileDescriptor):
    """A Twisted transport holding ``held`` bytes the kernel has not taken, with the HTTP channel's
    producer already registered (as on an upgraded WebSocket)."""

    def __init__(self, behind) -> None:
        super().__init__()
        self.connected = 1
        self.dataBuffer = b""
        self.registerProducer(behind, True)

    def hold(self, size: int) -> None:
        self.dataBuffer = b"x" * size

    def written_out(self) -> None:
        """What Twisted's doWrite does once the buffer is empty: resume the producer."""
        self.dataBuffer = b""
        self.producer.resumeProducing()


class Channel:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pauseProducing(self) -> None:  # noqa: N802
        self.calls.append("pause")

    def resumeProducing(self) -> None:  # noqa: N802
        self.calls.append("resume")

    def stopProducing(self) -> None:  # noqa: N802
        self.calls.append("stop")


def test_a_sender_blocked_on_a_full_transport_goes_on_when_twisted_says_it_wrote_the_buffer_out():
    async def scenario():
        channel = Channel()
        connection = Connection(channel)
        transport = Transport(SimpleNamespace(transport=connection))
        sent: list[str] = []

        async def send(text: str) -> None:
            sent.append(text)

        outbox = Outbox(send, transport)
        connection.hold(TRANSPORT_BUFFER_LIMIT_BYTES)
        outbox.put("output")
        for _ in range(5):
            await asyncio.sleep(0)
        assert sent == []  # the client is behind: nothing more is handed to Twisted

        connection.written_out()
        for _ in range(5):  # a few turns of the loop, far less than any poll
            await asyncio.sleep(0)

        assert sent == ["output"]
        assert channel.calls == ["resume"]  # the HTTP channel behind it still hears what it heard before
        outbox.close()
        assert connection.producer is channel  # and has its place back once the socket goes

    run(scenario)


@contextlib.contextmanager
def socket_connection():
    """A Twisted TCP connection over a socket pair, written through as a WebSocket's is; and its peer."""
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    peer.setblocking(False)
    connection = tcp.Connection(ours, Protocol(), reactor)
    connection.connected = 1
    _write_through(connection)
    try:
        yield connection, peer
    finally:
        connection.stopWriting()
        ours.close()
        peer.close()


def received(peer: socket.socket) -> bytes:
    try:
        return peer.recv(65536)
    except BlockingIOError:
        return b""


def test_a_write_reaches_the_kernel_in_the_call_when_nothing_is_buffered():
    with socket_connection() as (connection, peer):
        connection.write(b"an echo")
        assert received(peer) == b"an echo"  # no turn of the reactor in between


def test_a_write_goes_behind_what_twisted_still_holds():
    with socket_connection() as (connection, peer):
        connection.dataBuffer, connection.offset = b"earlier", 0  # not written out yet
        connection.write(b"later")
        assert received(peer) == b""  # sent after "earlier", by Twisted, when the socket is writable
        assert connection._tempDataBuffer == [b"later"]


def test_nothing_is_written_once_the_connection_is_aborted():
    # ListenerControl cuts connections this way when network access is turned off.
    with socket_connection() as (connection, peer):
        connection.abortConnection()
        connection.write(b"output after the cut")
        assert received(peer) == b""


def test_a_written_through_connection_is_freed_when_nothing_holds_it():
    ours, peer = socket.socketpair()
    connection = tcp.Connection(ours, Protocol(), reactor)
    _write_through(connection)
    gone = weakref.ref(connection)
    collecting = gc.isenabled()
    gc.disable()  # freed by its reference count alone, not left for the cycle collector
    try:
        del connection
        assert gone() is None
    finally:
        if collecting:
            gc.enable()
        ours.close()
        peer.close()


def test_frames_sent_in_the_call_and_frames_queued_behind_a_full_transport_keep_their_order():
    async def scenario():
        wire: list[str] = []

        class Measured:
            """A transport whose buffer the test fills and empties."""

            held = 0

            def buffered(self) -> int:
                return self.held

            async def room(self) -> None:
                await asyncio.sleep(0)

            def send_now(self, text: str) -> None:
                wire.append(text)

            def release(self) -> None:
                pass

        async def send(text: str) -> None:
            wire.append(text)

        transport = Measured()
        outbox = Outbox(send, transport)
        outbox.put("1")  # idle, room: out in the call
        assert wire == ["1"]
        transport.held = TRANSPORT_BUFFER_LIMIT_BYTES
        outbox.put("2")  # full: queued for the sender
        outbox.put("3")
        await asyncio.sleep(0)
        transport.held = 0
        outbox.put("4")  # room again, but "2" and "3" are still queued: behind them
        for _ in range(10):
            await asyncio.sleep(0)
        assert wire == ["1", "2", "3", "4"]
        outbox.put("5")
        assert wire[-1] == "5"

    run(scenario)

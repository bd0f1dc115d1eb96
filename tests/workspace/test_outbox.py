"""The outbox on its own: frames in order, and nothing left running for an idle socket."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from twisted.internet.abstract import FileDescriptor

from workspace.outbox import TRANSPORT_BUFFER_LIMIT_BYTES, Outbox, Transport


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

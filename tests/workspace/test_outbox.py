"""The outbox on its own: frames in order, and nothing left running for an idle socket."""

from __future__ import annotations

import asyncio

from workspace.outbox import Outbox


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

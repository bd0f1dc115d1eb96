"""t3site.inbox: the one-reader queue each open socket waits on (daphne's input, the layer's channel)."""

from __future__ import annotations

import asyncio

import pytest

from t3site.inbox import Inbox


def test_items_come_out_in_the_order_they_were_put():
    async def scenario():
        inbox = Inbox()
        for n in range(3):
            inbox.put_nowait(n)
        return [await inbox.get() for _ in range(3)], len(inbox)

    assert asyncio.run(scenario()) == ([0, 1, 2], 0)


def test_a_waiting_reader_gets_the_next_item_put():
    async def scenario():
        inbox = Inbox()
        reader = asyncio.create_task(inbox.get())
        await asyncio.sleep(0)
        waited = inbox.waiting
        inbox.put_nowait("websocket.connect")
        return waited, await asyncio.wait_for(reader, 2), inbox.waiting

    assert asyncio.run(scenario()) == (True, "websocket.connect", False)


def test_a_second_reader_is_refused_rather_than_taking_the_first_ones_place():
    async def scenario():
        inbox = Inbox()
        first = asyncio.create_task(inbox.get())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="one reader"):
            await inbox.get()
        inbox.put_nowait("x")
        return await asyncio.wait_for(first, 2)

    assert asyncio.run(scenario()) == "x"


def test_an_item_handed_to_a_reader_cancelled_in_the_same_turn_is_kept_for_the_next():
    async def scenario():
        inbox = Inbox()
        reader = asyncio.create_task(inbox.get())
        await asyncio.sleep(0)
        inbox.put_nowait("websocket.receive")
        reader.cancel()  # before the reader ran again to take it
        with pytest.raises(asyncio.CancelledError):
            await reader
        return len(inbox), await inbox.get()

    assert asyncio.run(scenario()) == (1, "websocket.receive")

"""The embedded channel layer (t3site.layers): what Channels' in-memory layer promises, at a fraction of its cost."""

from __future__ import annotations

import asyncio
import functools

import pytest
from channels.exceptions import ChannelFull

from t3site import layers
from t3site.layers import LeanInMemoryChannelLayer


def in_a_loop(test):
    """Run an async test body in a fresh event loop (the layer's futures belong to one)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


@pytest.fixture
def layer():
    return LeanInMemoryChannelLayer(capacity=3)


@in_a_loop
async def test_a_message_sent_before_anyone_waits_is_received_then_the_channel_is_forgotten(layer):
    channel = await layer.new_channel()
    message = {"type": "session.ended", "ids": ["a"]}

    await layer.send(channel, message)
    message["ids"].append("changed after sending")
    received = await layer.receive(channel)

    assert received == {"type": "session.ended", "ids": ["a"]}  # a copy, as Channels' layer sends
    assert layer.channels == {}


@in_a_loop
async def test_a_waiting_receive_gets_the_message_sent_later():
    layer = LeanInMemoryChannelLayer()
    channel = await layer.new_channel()
    waiting = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)

    await layer.send(channel, {"type": "projects.changed"})

    assert await asyncio.wait_for(waiting, 2) == {"type": "projects.changed"}
    assert layer.channels == {}


@in_a_loop
async def test_a_cancelled_receive_leaves_nothing_behind(layer):
    channel = await layer.new_channel()
    waiting = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)

    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    assert layer.channels == {}
    await layer.send(channel, {"type": "late"})  # kept for a later receive, not lost
    assert await layer.receive(channel) == {"type": "late"}


@in_a_loop
async def test_a_channel_holds_at_most_its_capacity(layer):
    channel = await layer.new_channel()
    for n in range(3):
        await layer.send(channel, {"type": "x", "n": n})

    with pytest.raises(ChannelFull):
        await layer.send(channel, {"type": "x", "n": 3})
    assert [(await layer.receive(channel))["n"] for _ in range(3)] == [0, 1, 2]


@in_a_loop
async def test_group_send_reaches_every_member_and_a_full_one_does_not_stop_the_others(layer):
    full, listening = await layer.new_channel(), await layer.new_channel()
    for channel in (full, listening):
        await layer.group_add("t3session.s1", channel)
    for n in range(3):
        await layer.send(full, {"type": "x", "n": n})

    await layer.group_send("t3session.s1", {"type": "session.ended"})

    assert await layer.receive(listening) == {"type": "session.ended"}
    await layer.group_discard("t3session.s1", listening)
    await layer.group_discard("t3session.s1", full)
    assert layer.groups == {}


@in_a_loop
async def test_a_channel_nobody_reads_loses_its_old_messages_and_its_groups(layer, monkeypatch):
    channel = await layer.new_channel()
    await layer.group_add("projects", channel)
    await layer.send(channel, {"type": "old"})
    later = layer.expiry + 1
    real_time = layers.time.time
    monkeypatch.setattr(layers.time, "time", lambda: real_time() + later)

    await layer.send(channel, {"type": "new"})

    assert await layer.receive(channel) == {"type": "new"}
    assert "projects" not in layer.groups or channel not in layer.groups["projects"]


@in_a_loop
async def test_a_membership_does_not_expire_while_its_socket_stays_open(layer, monkeypatch):
    # Channels' layer drops members after group_expiry (a day): a socket open longer would stop
    # hearing that its device was revoked.
    channel = await layer.new_channel()
    await layer.group_add("t3session.s1", channel)
    real_time = layers.time.time
    monkeypatch.setattr(layers.time, "time", lambda: real_time() + layer.group_expiry + 60)
    waiting = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)

    await layer.group_send("t3session.s1", {"type": "session.ended"})

    assert await asyncio.wait_for(waiting, 2) == {"type": "session.ended"}

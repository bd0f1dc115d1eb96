"""The embedded channel layer: Channels' in-memory layer, lighter per socket and per message.

Every open socket waits on its own channel for group messages (a revocation, a project list).
Channels' ``InMemoryChannelLayer`` gives each waiting channel an ``asyncio.Queue`` (with its
lock-free but deque-backed getters, putters and an Event: about 3 KiB for a socket that never
hears anything), builds another Queue on every receive only to drop it, and walks every channel
and every group on each receive and group send to expire old entries. With hundreds of idle
sockets that is most of what an idle socket costs and a walk over all of them per message.

This layer keeps, per channel, only what a waiting socket needs: the messages not yet taken and
the one future its consumer waits on. The contract of the layer is unchanged: messages are
deep-copied on send, a channel holds at most ``capacity`` messages (``ChannelFull`` past that),
and a message nobody took within ``expiry`` seconds is dropped with the channel's group
memberships (its consumer stopped reading), checked when that channel is sent to.

Group memberships do not expire here: a socket leaves its groups when it closes, and a device
that keeps one socket open for days must still hear that it was revoked.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from copy import deepcopy

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer


class _Inbox:
    """One channel's messages not yet taken, and the future of the receive waiting for one."""

    __slots__ = ("messages", "waiter")

    def __init__(self) -> None:
        self.messages: deque[tuple[float, dict]] | None = None
        self.waiter: asyncio.Future | None = None


class LeanInMemoryChannelLayer(InMemoryChannelLayer):
    async def send(self, channel: str, message: dict) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        inbox = self.channels.get(channel)
        if inbox is None:
            inbox = self.channels[channel] = _Inbox()
        waiter = inbox.waiter
        if waiter is not None and not waiter.done():
            inbox.waiter = None
            waiter.set_result(deepcopy(message))
            return
        now = time.time()
        if inbox.messages is None:
            inbox.messages = deque()
        elif inbox.messages and inbox.messages[0][0] < now:
            # The oldest waited past its expiry: nobody reads this channel any more.
            while inbox.messages and inbox.messages[0][0] < now:
                inbox.messages.popleft()
            self._remove_from_groups(channel)
        if len(inbox.messages) >= self.get_capacity(channel):
            raise ChannelFull(channel)
        inbox.messages.append((now + self.expiry, deepcopy(message)))

    async def receive(self, channel: str) -> dict:
        self.require_valid_channel_name(channel)
        inbox = self.channels.get(channel)
        if inbox is None:
            inbox = self.channels[channel] = _Inbox()
        now = time.time()
        while inbox.messages:
            expires, message = inbox.messages.popleft()
            if expires >= now:
                self._forget_if_idle(channel, inbox)
                return message
        # One receive per channel at a time (a consumer's own): a second would take the place of the first.
        waiter = inbox.waiter = asyncio.get_running_loop().create_future()
        try:
            return await waiter
        finally:
            if inbox.waiter is waiter:
                inbox.waiter = None
            self._forget_if_idle(channel, inbox)

    def _forget_if_idle(self, channel: str, inbox: _Inbox) -> None:
        if inbox.waiter is None and not inbox.messages and self.channels.get(channel) is inbox:
            del self.channels[channel]

    def _clean_expired(self) -> None:
        """Nothing to walk: expired messages are dropped when their channel is sent to (see send)."""

    async def group_add(self, group: str, channel: str) -> None:
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        # The value is the join time in Channels' layer; nothing expires memberships here.
        self.groups.setdefault(group, {})[channel] = None

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        for channel in list(self.groups.get(group, ())):
            # As in Channels' layer, a full channel misses a group message; the others get it.
            with contextlib.suppress(ChannelFull):
                await self.send(channel, message)

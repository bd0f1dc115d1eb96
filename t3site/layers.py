"""The embedded channel layer: Channels' in-memory layer, lighter per socket and per message.

Every open socket waits on its own channel for group messages (a revocation, a project list).
Channels' ``InMemoryChannelLayer`` gives each waiting channel an ``asyncio.Queue`` (with its
lock-free but deque-backed getters, putters and an Event: about 3 KiB for a socket that never
hears anything), builds another Queue on every receive only to drop it, and walks every channel
and every group on each receive and group send to expire old entries. With hundreds of idle
sockets that is most of what an idle socket costs and a walk over all of them per message.

This layer keeps, per channel, only what a waiting socket needs (t3site.inbox): the messages not
yet taken and the one future its consumer waits on. The contract of the layer is unchanged: messages are
deep-copied on send, a channel holds at most ``capacity`` messages (``ChannelFull`` past that),
and a message nobody took within ``expiry`` seconds is dropped with the channel's group
memberships (its consumer stopped reading), checked when that channel is sent to.

Group memberships do not expire here: a socket leaves its groups when it closes, and a device
that keeps one socket open for days must still hear that it was revoked.
"""

from __future__ import annotations

import contextlib
import time
from copy import deepcopy

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

from t3site.inbox import Inbox


class LeanInMemoryChannelLayer(InMemoryChannelLayer):
    # self.channels maps a channel name to its Inbox of (expires at, message).

    def _inbox(self, channel: str) -> Inbox[tuple[float, dict]]:
        inbox = self.channels.get(channel)
        if inbox is None:
            inbox = self.channels[channel] = Inbox()
        return inbox

    async def send(self, channel: str, message: dict) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        inbox = self._inbox(channel)
        now = time.time()
        if not inbox.waiting:
            oldest = inbox.oldest()
            if oldest is not None and oldest[0] < now:
                # The oldest waited past its expiry: nobody reads this channel any more.
                while (oldest := inbox.oldest()) is not None and oldest[0] < now:
                    inbox.drop_oldest()
                self._remove_from_groups(channel)
            if len(inbox) >= self.get_capacity(channel):
                raise ChannelFull(channel)
        inbox.put_nowait((now + self.expiry, deepcopy(message)))

    async def receive(self, channel: str) -> dict:
        self.require_valid_channel_name(channel)
        inbox = self._inbox(channel)
        try:
            while True:
                expires, message = await inbox.get()
                if expires >= time.time():
                    return message
        finally:
            if not inbox.waiting and not len(inbox) and self.channels.get(channel) is inbox:
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

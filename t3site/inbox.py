"""A queue with one reader, for what every open socket keeps while it waits.

Each socket waits on two queues for its whole life: daphne's input for the connection and the
channel layer's channel for group messages. ``asyncio.Queue`` is built for many readers and
writers, with bounded puts and ``join()``: three deques and an Event, about 3 KiB each, held by
a socket that may never hear anything. One reader needs the items not taken yet (a deque, made
when the first item waits) and the future it waits on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    """Items for one reader: ``put_nowait`` never blocks, ``get`` waits for the next item."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[T] | None = None
        self._waiter: asyncio.Future | None = None

    def __len__(self) -> int:
        return len(self._items) if self._items else 0

    def put_nowait(self, item: T) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self._waiter = None
            waiter.set_result(item)
            return
        if self._items is None:
            self._items = deque()
        self._items.append(item)

    async def get(self) -> T:
        if self._items:
            return self._items.popleft()
        if self.waiting:
            raise RuntimeError("an Inbox has one reader: another get() is waiting already")
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # Handed over in the same turn the reader was cancelled: keep it for the next get.
                self._put_back(waiter.result())
            raise
        finally:
            if self._waiter is waiter:
                self._waiter = None

    @property
    def waiting(self) -> bool:
        """Whether a reader waits for the next item now."""
        return self._waiter is not None and not self._waiter.done()

    def oldest(self) -> T | None:
        """Return the item the next ``get`` returns without taking it, or None when there is none."""
        return self._items[0] if self._items else None

    def drop_oldest(self) -> None:
        if self._items:
            self._items.popleft()

    def _put_back(self, item: T) -> None:
        if self._items is None:
            self._items = deque()
        self._items.appendleft(item)

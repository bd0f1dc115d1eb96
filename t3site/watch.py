"""Tell this process's sockets that the database changed, whichever process changed it.

A change can be made in any process: the server, `manage.py` in a shell, another server on
the same database. So every watcher reaches its sockets two ways:
- ``announce`` sends a group message at once (call it once the change is committed). It
  reaches the sockets of this process (in-memory layer) or of every process (Redis layer).
- while this process has sockets open, a task looks at the database once a second
  (``look``) and sends what it finds to this process's sockets. That catches a change made
  in another process with the in-memory layer, and what no one announces (an expiry). On
  SQLite it also asks ``PRAGMA data_version`` every CHANGE_POLL_SECONDS, which moves when
  another connection commits and costs no read of any table, and looks at once when it moved:
  a change from a shell reaches the sockets within about a tenth of a second, not a second.

A socket may hear of one change twice (the announcement, then the look); what is sent must
therefore say the whole new state, so that a repeat changes nothing for the client.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection

logger = logging.getLogger("t3site.watch")

# Read at each turn of a watch, so a test can put the watchers to sleep.
WATCH_INTERVAL_SECONDS = 1.0
# How often a watcher asks SQLite whether anything was committed (one pragma, no table read).
CHANGE_POLL_SECONDS = 0.1


def data_version() -> int | None:
    """Return SQLite's data_version of this thread's connection (it moves when another connection
    commits), or None on a database that has none (PostgreSQL: the looks once a second remain)."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA data_version")
        return cursor.fetchone()[0]


class Watcher:
    """The sockets of this process that hear of one kind of change, by key, and the task that looks.

    A socket joins under a key (a session id) or none (every socket hears every change). A
    subclass says what changed in ``look``, and what the looks start from in ``baseline``.
    """

    # A method returning what the first look compares against (``seen``; run in a database
    # thread), in a subclass whose look compares.
    baseline: Callable[[], object] | None = None

    def __init__(self, group: str, what: str) -> None:
        self.group = group
        self.what = what  # for the log: "sessions", "projects"
        self.seen: object = None
        self._channels: dict[str, set[str]] = {}
        self._task: asyncio.Task | None = None

    def group_for(self, key: str = "") -> str:
        return f"{self.group}.{key}" if key else self.group

    def announce(self, message: dict, key: str = "") -> None:
        """Send ``message`` to the sockets of ``key`` in every process now (best effort).

        The database is what counts: a message that cannot be sent is logged, and the
        watchers pick the change up anyway.
        """
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(self.group_for(key), message)
        except Exception:
            logger.warning("could not announce a change of %s", self.what, exc_info=True)

    async def join(self, layer, channel_name: str, key: str = "") -> None:
        """Start telling this socket about changes (of ``key``)."""
        await layer.group_add(self.group_for(key), channel_name)
        self._channels.setdefault(key, set()).add(channel_name)
        if self._running():
            return
        # The baseline is read before join returns, so no later change is taken for it. Without
        # one, nothing is awaited: the first socket is watched as soon as it joins.
        seen = await database_sync_to_async(self.baseline)() if self.baseline is not None else None
        if not self._running():  # another socket may have started it meanwhile
            self.seen = seen
            self._task = asyncio.get_running_loop().create_task(self._watch())

    async def leave(self, layer, channel_name: str, key: str = "") -> None:
        channels = self._channels.get(key)
        if channels is not None:
            channels.discard(channel_name)
            if not channels:
                del self._channels[key]
        await layer.group_discard(self.group_for(key), channel_name)

    async def check_now(self) -> None:
        """Look at the database once and send what changed to this process's sockets."""
        keys = list(self._channels)
        if not keys:
            return
        messages = await database_sync_to_async(self.look)(keys)
        layer = get_channel_layer()
        for key, message in messages.items():
            for channel_name in list(self._channels.get(key, ())):
                await layer.send(channel_name, message)

    def look(self, keys: list[str]) -> dict[str, dict]:
        """Return, by key, the message its sockets must get now (in a database thread)."""
        raise NotImplementedError

    def _running(self) -> bool:
        # A task of an earlier event loop (tests run one per test) never runs again.
        task = self._task
        return task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop()

    async def _watch(self) -> None:
        # Runs only while sockets are open, so an idle server makes no queries.
        version = None
        looked_at = time.monotonic()
        while self._channels:
            await asyncio.sleep(min(CHANGE_POLL_SECONDS, WATCH_INTERVAL_SECONDS))
            try:
                # Read before looking: a commit after this read moves it again for the next turn.
                now_version = await database_sync_to_async(data_version)()
                changed = now_version is not None and now_version != version
                version = now_version
                if changed or time.monotonic() - looked_at >= WATCH_INTERVAL_SECONDS:
                    looked_at = time.monotonic()
                    await self.check_now()
            except Exception:
                logger.warning("the watcher of %s failed to look; retrying", self.what, exc_info=True)

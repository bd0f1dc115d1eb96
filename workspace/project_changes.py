"""Send ``projects.changed`` with the full list to every open socket when the projects change.

Two paths, as for revoked sessions (pairing/live.py), because a change can happen
in any process:
- ``announce`` runs after every committed change made through the Project model.
  Its group message reaches the sockets of this process (in-memory layer) or of
  every process (Redis layer) at once.
- ``ProjectWatcher`` runs in each server process while it has sockets open: once
  a second it reads a cheap revision marker (a count and the latest update time)
  and, when it moved, sends the list to this process's sockets. That catches
  `manage.py project add` run from a shell with the in-memory layer.

A socket may get the same list twice (the announcement and then the watcher); the
notification carries the whole list, so a repeat changes nothing for the client.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("t3site.projects")

GROUP = "workspace.projects"
NOTIFICATION = "projects.changed"
WATCH_INTERVAL_SECONDS = 1.0


def _message(projects: list[dict]) -> dict:
    # The consumer relays "rpc.notification" events to its socket as they are.
    return {"type": "rpc.notification", "method": NOTIFICATION, "params": {"projects": projects}}


def _revision() -> tuple:
    from workspace.models import Project

    return Project.objects.revision()


def _snapshot() -> tuple[tuple, list[dict]]:
    from workspace.models import Project

    with transaction.atomic():
        return Project.objects.revision(), Project.objects.listing()


def announce() -> None:
    """Send the current list of projects to every socket in the group now (best effort)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        revision, projects = _snapshot()
        # This process's watcher need not send the same list again.
        watcher.seen = revision
        async_to_sync(layer.group_send)(GROUP, _message(projects))
    except Exception:  # the database is what counts; the watchers pick the change up anyway
        logger.warning("could not announce a change of projects", exc_info=True)


class ProjectWatcher:
    """The sockets of this process, and the task that notices changes made by other processes."""

    def __init__(self) -> None:
        self.channels: set[str] = set()
        self.seen: tuple | None = None
        self._task: asyncio.Task | None = None

    async def join(self, layer, channel_name: str) -> None:
        """Start telling this socket about changes to the projects."""
        await layer.group_add(GROUP, channel_name)
        self.channels.add(channel_name)
        if self._running():
            return
        # The baseline is read before join returns, so no later change is taken for it.
        seen = await database_sync_to_async(_revision)()
        if not self._running():  # another socket may have started it meanwhile
            self.seen = seen
            self._task = asyncio.get_running_loop().create_task(self._watch())

    def _running(self) -> bool:
        # A task of an earlier event loop (tests run one per test) never runs again.
        task = self._task
        return task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop()

    async def leave(self, layer, channel_name: str) -> None:
        self.channels.discard(channel_name)
        await layer.group_discard(GROUP, channel_name)

    async def check_now(self) -> None:
        """Send the list to this process's sockets if it changed since it was last sent."""
        if await database_sync_to_async(_revision)() == self.seen:
            return
        revision, projects = await database_sync_to_async(_snapshot)()
        self.seen = revision
        layer = get_channel_layer()
        for channel_name in list(self.channels):
            await layer.send(channel_name, _message(projects))

    async def _watch(self) -> None:
        # Runs only while sockets are open, so an idle server makes no queries.
        while self.channels:
            await asyncio.sleep(WATCH_INTERVAL_SECONDS)
            try:
                await self.check_now()
            except Exception:
                logger.warning("project watcher check failed; retrying", exc_info=True)


watcher = ProjectWatcher()

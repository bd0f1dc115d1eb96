"""Send ``projects.changed`` with the full list to every open socket when the projects change.

Both ways of t3site.watch, because a change can happen in any process:
- every committed save or delete of a Project is announced at once (post_save and
  post_delete, connected in WorkspaceConfig.ready, so also in `manage.py project`).
- while this process has sockets open, it reads a cheap revision marker (a count and the
  latest update time) once a second and, when it moved, sends the list to its sockets.
  That catches `manage.py project add` run from a shell with the in-memory layer.

The notification carries the whole list, so a socket that gets it twice sees no change.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from t3site.watch import Watcher
from workspace.models import Project

logger = logging.getLogger("t3site.projects")

NOTIFICATION = "projects.changed"


def _message(projects: list[dict]) -> dict:
    # The consumer relays "rpc.notification" events to its socket as they are.
    return {"type": "rpc.notification", "method": NOTIFICATION, "params": {"projects": projects}}


def _snapshot() -> tuple[tuple, list[dict]]:
    with transaction.atomic():
        return Project.objects.revision(), Project.objects.listing()


class ProjectWatcher(Watcher):
    """Every socket that may see the projects, under no key: each hears every change."""

    def baseline(self) -> tuple:
        return Project.objects.revision()

    def look(self, keys: list[str]) -> dict[str, dict]:
        if Project.objects.revision() == self.seen:
            return {}
        self.seen, projects = _snapshot()
        return {"": _message(projects)}

    def announce_projects(self) -> None:
        """Send the current list of projects to every socket now (best effort)."""
        try:
            revision, projects = _snapshot()
        except Exception:  # the database is what counts; the watchers pick the change up anyway
            logger.warning("could not read the projects to announce a change", exc_info=True)
            return
        # This process's watcher need not send the same list again.
        self.seen = revision
        self.announce(_message(projects))


watcher = ProjectWatcher("workspace.projects", "projects")


def _changed(sender, **kwargs) -> None:
    transaction.on_commit(watcher.announce_projects)


def connect_signals() -> None:
    """Announce every change of a project to the sockets (call once, from ready())."""
    post_save.connect(_changed, sender=Project, dispatch_uid="workspace.project_changes.saved")
    post_delete.connect(_changed, sender=Project, dispatch_uid="workspace.project_changes.deleted")

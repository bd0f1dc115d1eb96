"""Close relayed sockets with 4410 when their environment is removed, or its credential is forgotten here.

Removed in this process (the API, the admin): the row's post_delete announces it at once,
once committed. Removed by `manage.py environments remove` in a shell (another process, the
in-memory layer), or its credential dropped from the credential file: the watcher of
t3site.watch looks once a second while relayed sockets are open. Either way within the
contract's 2 seconds. Sockets join under the environment's row id, so an environment removed
and saved again is a new one, and sockets of the old one close.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete

from environments import credentials
from environments.models import Environment
from t3site.watch import Watcher

ENVIRONMENT_REMOVED_EVENT = "environment.removed"
MESSAGE = {"type": ENVIRONMENT_REMOVED_EVENT}


class RemovalWatcher(Watcher):
    def look(self, keys: list[str]) -> dict[str, dict]:
        """Return the message for each watched environment that is gone or has no credential here any more."""
        held = credentials.saved_ids()
        present = dict(Environment.objects.filter(pk__in=keys).values_list("pk", "environment_id"))
        return {key: MESSAGE for key in keys if present.get(key) not in held}


watcher = RemovalWatcher("relay.environment", "relayed environments")


def _on_environment_deleted(sender, instance: Environment, **_) -> None:
    transaction.on_commit(lambda: watcher.announce(MESSAGE, key=instance.pk))


def connect_signals() -> None:
    """Announce every removal of a saved environment to its relayed sockets (call once, from ready())."""
    post_delete.connect(_on_environment_deleted, sender=Environment, dispatch_uid="relay.removals")

"""What every t3site management command shares."""

from __future__ import annotations

import json

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


def ensure_database() -> None:
    """Apply any pending migrations, so a fresh T3SITE_HOME needs no separate step.

    A SQLite file is switched to write-ahead logging once (the mode is stored in the
    file): readers then never wait for the server's writes, nor it for theirs.
    """
    # (SQLite cannot switch journal modes inside a transaction, as under a test's atomic block.)
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)


class StateCommand(BaseCommand):
    """A command that reads or writes t3site's database."""

    def execute(self, *args, **options):
        try:
            ensure_database()
            return super().execute(*args, **options)
        except DatabaseError as exc:
            # An unreachable PostgreSQL or a locked/corrupt SQLite file: one line, not a traceback.
            raise CommandError(f"cannot use the database: {str(exc).strip().splitlines()[0]}") from None

    def print_json(self, data) -> None:
        self.stdout.write(json.dumps(data, indent=2))

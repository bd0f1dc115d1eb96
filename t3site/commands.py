"""What every t3site management command shares."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

import t3site


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


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """Return ``rows`` under ``headers`` as lines of left-aligned columns, two spaces apart."""
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]


class StateCommand(BaseCommand):
    """A command that reads or writes t3site's database."""

    def get_version(self) -> str:
        """Return t3site's version for `--version` (Django's BaseCommand would print Django's)."""
        return t3site.__version__

    def execute(self, *args, **options):
        try:
            ensure_database()
            return super().execute(*args, **options)
        except DatabaseError as exc:
            # An unreachable PostgreSQL or a locked/corrupt SQLite file: one line, not a traceback.
            raise CommandError(f"cannot use the database: {str(exc).strip().splitlines()[0]}") from None

    def print_json(self, data) -> None:
        self.stdout.write(json.dumps(data, indent=2))

    def print_table(self, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        """Print a listing with a header row (plain output; `--json` is the form for scripts)."""
        for line in table(headers, rows):
            self.stdout.write(line)


class SubcommandsCommand(StateCommand):
    """A command of subcommands: each subparser names its method with ``set_defaults(handler=self.method)``."""

    # Exceptions that are the user's mistake: one line on stderr (CommandError), not a traceback.
    user_errors: tuple[type[Exception], ...] = ()

    def handle(self, *args, handler, **options):
        try:
            return handler(**options)
        except self.user_errors as exc:
            raise CommandError(str(exc)) from None

"""A number that moves whenever anything is committed to the SQLite database, by any process.

An in-process cache of database rows (pairing.resolved) must not outlive a change another
process commits: `manage.py auth session revoke` in a shell must take effect on the server's
very next request (docs/contract.md §3). SQLite keeps such a number per connection,
``PRAGMA data_version``: it changes when another connection has committed since the last time
that connection asked. Asking costs a read of the WAL index in shared memory, no table and no
disk, so it can be asked on every request, in the event loop, without a thread hop.

The number is only comparable with itself on one connection, so this process asks it on one
connection of its own (never Django's, which belong to threads and are closed and reopened),
opened read-only and in autocommit mode so it never holds a snapshot. Every commit counts,
also this process's own (they are made on Django's connections, which are other connections).

PostgreSQL has no such number: ``current()`` answers None there, and callers keep nothing.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from pathlib import Path

from django.conf import settings as django_settings

_lock = threading.Lock()
_connection: sqlite3.Connection | None = None
_path: str | None = None
_inode: int | None = None
# A file made again under the same name is noticed within this long (a stat per request cost more
# than the pragma itself); a commit is seen at once, whatever this says.
FILE_CHECK_SECONDS = 0.5
# (name, when, (name, inode) or None): the last look at the file.
_looked: tuple[str, float, tuple[str, int] | None] | None = None
# Which connection a number came from: numbers of two connections are not comparable.
_opened = 0


def _database_file() -> tuple[str, int] | None:
    """Return the file of the default database and its inode, or None when it is not an SQLite file."""
    # settings.DATABASES, not connections["default"]: in the event loop every task is a context of
    # its own, and asking for its connection there builds a whole DatabaseWrapper per request.
    # (Django's test set-up writes the test database's name into both.)
    settings = django_settings.DATABASES["default"]
    if not settings["ENGINE"].endswith("sqlite3"):
        return None
    name = str(settings["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        # In-memory databases share a cache between connections, and SQLite does not count a
        # commit on a connection that shares this one's cache: the number would never move.
        return None
    global _looked
    now = time.monotonic()
    if _looked is not None and _looked[0] == name and now - _looked[1] < FILE_CHECK_SECONDS:
        return _looked[2]
    try:
        found = name, os.stat(name).st_ino
    except OSError:
        found = None
    _looked = (name, now, found)
    return found


def _open(name: str) -> sqlite3.Connection:
    # Read-only: this connection only ever asks the pragma. isolation_level None: autocommit,
    # so no transaction (and no old snapshot) is ever left open on it.
    return sqlite3.connect(
        f"{Path(name).resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )


def current() -> tuple[int, int] | None:
    """Return a stamp of the database's state as this process's own connection sees it: equal
    stamps mean nothing was committed in between. None when there is none to be had (not SQLite,
    in memory, not created yet, or the pragma failed)."""
    global _connection, _path, _inode, _opened
    found = _database_file()
    if found is None:
        return None
    name, inode = found
    with _lock:
        try:
            if _connection is None or (_path, _inode) != (name, inode):
                # A test run swaps the database under the same settings, and a file can be deleted
                # and made again: a connection to the old one would never see a change. Follow it.
                _close()
                _connection, _path, _inode = _open(name), name, inode
                _opened += 1
            return _opened, _connection.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            _close()
            return None


def close() -> None:
    """Close this process's connection (the next ``current()`` opens another)."""
    with _lock:
        _close()


def _close() -> None:
    global _connection, _path, _inode
    if _connection is not None:
        with contextlib.suppress(sqlite3.Error):
            _connection.close()
    _connection, _path, _inode = None, None, None

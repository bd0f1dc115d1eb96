"""The state directory, ``T3SITE_HOME``, and the files t3site keeps in it.

No Django imports: settings.py calls this before Django is configured.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SECRET_FILENAME = "secret"  # noqa: S105 - a file name, not a secret
ENVIRONMENT_ID_FILENAME = "environment-id"
RUNTIME_FILENAME = "server-runtime.json"


class HomeError(Exception):
    """T3SITE_HOME cannot be used (not creatable, not writable); the message says why, in one line."""


def resolve_home(value: str | None) -> Path:
    """Return the absolute state directory for ``T3SITE_HOME`` (default ``~/.t3site``)."""
    return Path(value or "~/.t3site").expanduser().resolve()


def ensure_home(home: Path) -> Path:
    """Create the state directory, or tighten an existing one, so only its owner can enter it.

    Mode 0700 on the folder is what keeps the database, the secret and the stored
    credentials private, whatever mode SQLite gives the files inside. Raise HomeError
    when the folder cannot be made or written: every command writes there (SQLite's
    write-ahead log, the secret, server-runtime.json), so it is refused at start in
    one line rather than by a traceback from whichever write comes first.
    """
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        if home.stat().st_mode & 0o077:
            os.chmod(home, 0o700)
    except OSError as exc:
        raise HomeError(f"T3SITE_HOME: cannot use {home} as the state folder ({exc.strerror})") from None
    # access() also says no for a read-only file system, even to root.
    if not os.access(home, os.W_OK | os.X_OK):
        raise HomeError(
            f"T3SITE_HOME: {home} is not writable by this user; t3site keeps its database, secret and "
            "server-runtime.json there: make it writable or point T3SITE_HOME at another folder"
        )
    return home


def read_json_object(path: Path, *, strict: bool = False) -> dict[str, Any]:
    """Return the JSON object kept in ``path``: {} when there is no such file, or it holds no object.

    A file that cannot be read or parsed reads as {} too (state half written by a crash counts
    as none), unless ``strict``: then it raises OSError or ValueError, for a store whose
    entries must not be written over by an empty list.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        if strict:
            raise
        return {}
    return data if isinstance(data, dict) else {}


def write_atomically(path: Path, data: str, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def locked_json(
    path: Path, read: Callable[[], dict], dump: Callable[[dict], Any] = lambda entries: entries
) -> Iterator[dict]:
    """Yield ``read()``'s entries under an exclusive lock; write ``dump(entries)`` back (0600) if the block succeeds.

    The lock is a sibling file (``.NAME.lock``), so two processes changing the same
    store one after the other never lose each other's entries.
    """
    ensure_home(path.parent)
    fd = os.open(path.with_name(f".{path.stem}.lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        entries = read()
        yield entries
        write_atomically(path, json.dumps(dump(entries), indent=2) + "\n", 0o600)
    finally:
        os.close(fd)


def _create_once(path: Path, make_value) -> str:
    """Return the content of ``path``, creating it exactly once if it is missing.

    The value is written to a temporary file and then hard-linked into place:
    ``os.link`` fails if the name exists, so two processes starting at once
    agree on one value and nobody ever reads a half-written file. Raise HomeError
    when the file can be neither read nor made.
    """
    try:
        return _read_or_create(path, make_value)
    except OSError as exc:
        raise HomeError(f"T3SITE_HOME: cannot read or create {path} ({exc.strerror})") from None


def _read_or_create(path: Path, make_value) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(make_value() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text(encoding="utf-8").strip()


def server_secret(home: Path) -> str:
    """Return the server secret (mode 0600), creating it on first use.

    It keys every token digest: deleting it invalidates all pairing links and sessions.
    """
    path = home / SECRET_FILENAME
    value = _create_once(path, lambda: secrets.token_urlsafe(48))
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return value


def environment_id(home: Path) -> str:
    """Return this server's stable environment id, created once and never changed."""
    return _create_once(home / ENVIRONMENT_ID_FILENAME, lambda: str(uuid.uuid4()))


def runtime_path(home: Path) -> Path:
    return home / RUNTIME_FILENAME


def read_runtime(home: Path) -> dict[str, Any] | None:
    """Return the running server's descriptor file, or None when there is none or it is unreadable."""
    return read_json_object(runtime_path(home)) or None


def write_runtime(home: Path, runtime: dict[str, Any]) -> None:
    write_atomically(runtime_path(home), json.dumps(runtime, indent=2) + "\n")


def remove_runtime(home: Path, pid: int) -> None:
    """Remove the runtime file if it still belongs to process ``pid``."""
    current = read_runtime(home)
    if current is not None and current.get("pid") == pid:
        runtime_path(home).unlink(missing_ok=True)

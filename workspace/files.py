"""List, read and write files inside a project folder. No Django imports.

Every path goes through ``paths.confine`` first, with the folders no project may reach. Writes are atomic: the new
content goes to a temporary file in the same folder (one with no name while it is
written, where the filesystem allows), is flushed to disk, and replaces the old file
in one rename, so a reader (or a crash) sees the old file or the new one, never half
of either; a server killed while it writes leaves no temporary file, but for the instant
between naming the new file and the rename.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import hashlib
import os
import secrets
import stat
import threading
from collections.abc import Collection
from datetime import UTC, datetime

from t3site import clock
from workspace.paths import PathMissing, PathRefused, confine, display, explained

FILE_SIZE_LIMIT_BYTES = 2 * 1024 * 1024
LIST_ENTRY_LIMIT = 5000
# O_NOFOLLOW makes opening a symlink fail (ELOOP) instead of following it.
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
# A nameless new file is given its name through /proc (linkat of /proc/self/fd/N).
_UNNAMED_FILES = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")
# Serialises the compare-and-replace of writes in this process, so of two writes
# that expect the same old content exactly one wins and the other gets a conflict.
_write_lock = threading.Lock()


class TooLarge(Exception):
    def __init__(self, message: str, size: int, limit: int):
        super().__init__(message)
        self.size = size
        self.limit = limit


class Conflict(Exception):
    def __init__(self, message: str, actual_sha256: str | None):
        super().__init__(message)
        self.actual_sha256 = actual_sha256


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _iso_mtime(seconds: float) -> str:
    return clock.iso(datetime.fromtimestamp(seconds, tz=UTC))


def _entry(entry: os.DirEntry, folder: str) -> dict:
    info = entry.stat(follow_symlinks=False)
    if entry.is_symlink():
        kind = "symlink"
    elif entry.is_dir(follow_symlinks=False):
        kind = "directory"
    else:
        kind = "file"
    return {
        "name": entry.name,
        "path": display(folder, entry.name),
        "type": kind,
        "size": None if kind == "directory" else info.st_size,
        "modifiedAt": _iso_mtime(info.st_mtime),
    }


def list_folder(root: str, relative: str, protected: Collection[str] = ()) -> dict:
    """Return the entries of a folder in the project, folders first, then by name."""
    shown, target = confine(root, relative, protected)
    entries = []
    truncated = False
    with (
        explained(
            missing=f"no folder {shown or '.'!r} in the project",
            not_a_folder=f"{shown!r} is a file, not a folder",
            denied=f"cannot read {shown or '.'!r}: permission denied",
        ),
        os.scandir(target) as found,
    ):
        for entry in found:
            if len(entries) == LIST_ENTRY_LIMIT:
                truncated = True
                break
            try:
                entries.append(_entry(entry, shown))
            except FileNotFoundError:  # removed while we listed
                continue
    entries.sort(key=lambda item: (item["type"] != "directory", item["name"].casefold(), item["name"]))
    return {"path": shown, "entries": entries, "truncated": truncated}


def _open_regular(path: str, shown: str, *, dir_fd: int | None = None) -> int:
    """Open a regular file for reading without following a final symlink; return the descriptor."""
    try:
        fd = os.open(path, os.O_RDONLY | _NO_FOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except FileNotFoundError:
        raise PathMissing(f"no file {shown!r} in the project") from None
    except PermissionError:
        raise PathRefused(f"cannot read {shown!r}: permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # became a symlink after it was checked
            raise PathRefused(f"{shown!r} is a symlink that changed while it was opened") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise PathRefused(f"{shown!r} is a folder or a special file, not a regular file")
    return fd


def _read_capped(fd: int, shown: str) -> bytes:
    size = os.fstat(fd).st_size
    if size > FILE_SIZE_LIMIT_BYTES:
        raise TooLarge(
            f"{shown!r} is {size} bytes, over the {FILE_SIZE_LIMIT_BYTES} byte limit", size, FILE_SIZE_LIMIT_BYTES
        )
    chunks = []
    total = 0
    # Read to the end rather than trusting fstat: the file may grow while we read.
    while chunk := os.read(fd, 1024 * 1024):
        total += len(chunk)
        if total > FILE_SIZE_LIMIT_BYTES:
            raise TooLarge(f"{shown!r} grew over the {FILE_SIZE_LIMIT_BYTES} byte limit", total, FILE_SIZE_LIMIT_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


def _as_text(data: bytes) -> str | None:
    """Return ``data`` as text if it is valid UTF-8 without NUL bytes (which mark binary files)."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_file(root: str, relative: str, protected: Collection[str] = ()) -> dict:
    """Return a file's content: UTF-8 text as is, anything else base64-encoded."""
    shown, target = confine(root, relative, protected)
    fd = _open_regular(str(target), shown or ".")
    try:
        data = _read_capped(fd, shown)
    finally:
        os.close(fd)
    return {**_content(shown, data), "size": len(data), "sha256": sha256_hex(data)}


def read_range(root: str, relative: str, offset: int, length: int | None, protected: Collection[str] = ()) -> dict:
    """Return ``length`` bytes of a file from ``offset`` (to its end, at most the size limit).

    A file of any size can be read this way, piece by piece. ``size`` is the whole
    file's; ``eof`` says whether the piece reaches its end. Text is returned as text
    only when the piece decodes on its own (a boundary inside a character makes it base64).
    """
    if offset < 0 or (length is not None and length < 0):
        raise PathRefused("offset and length cannot be negative")
    if length is not None and length > FILE_SIZE_LIMIT_BYTES:
        raise TooLarge(
            f"a piece can be at most {FILE_SIZE_LIMIT_BYTES} bytes, not {length}", length, FILE_SIZE_LIMIT_BYTES
        )
    shown, target = confine(root, relative, protected)
    fd = _open_regular(str(target), shown or ".")
    try:
        size = os.fstat(fd).st_size
        wanted = min(FILE_SIZE_LIMIT_BYTES if length is None else length, max(0, size - offset))
        data = os.pread(fd, wanted, offset) if wanted else b""
    finally:
        os.close(fd)
    return {
        **_content(shown, data),
        "size": size,
        "offset": offset,
        "length": len(data),
        "eof": offset + len(data) >= size,
    }


def _content(shown: str, data: bytes) -> dict:
    text = _as_text(data)
    content, encoding = (text, "utf-8") if text is not None else (base64.b64encode(data).decode("ascii"), "base64")
    return {"path": shown, "content": content, "encoding": encoding, "binary": encoding == "base64"}


def decode_content(content: str, encoding: str) -> bytes:
    """Return the bytes a client sent as ``content`` in ``encoding`` (utf-8 or base64)."""
    if encoding == "utf-8":
        return content.encode("utf-8")
    if encoding == "base64":
        try:
            return base64.b64decode(content, validate=True)
        except binascii.Error:
            raise PathRefused("content is not valid base64") from None
    raise PathRefused(f"unknown encoding {encoding!r}: use utf-8 or base64")


def _current(dir_fd: int, name: str, shown: str) -> tuple[str, int] | None:
    """Return the sha256 and permission bits of the file being replaced, or None if there is none."""
    try:
        fd = _open_regular(name, shown, dir_fd=dir_fd)
    except PathMissing:
        return None
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        digest = hashlib.sha256()
        while chunk := os.read(fd, 1024 * 1024):
            digest.update(chunk)
        return digest.hexdigest(), mode
    finally:
        os.close(fd)


def _new_file(dir_fd: int, temporary: str) -> tuple[int, bool]:
    """Open a new file in the folder for writing; return its fd and whether it has no name yet.

    Where the filesystem can (O_TMPFILE, Linux), the file has no name until its content is on
    disk: a server killed while writing (kill -9, a power cut) leaves nothing in the project.
    Elsewhere it is the hidden ``temporary``, removed on any error short of such a kill.
    """
    if _UNNAMED_FILES:
        try:
            return os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o666, dir_fd=dir_fd), True
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise
    return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_FOLLOW, 0o666, dir_fd=dir_fd), False


def _replace(dir_fd: int, name: str, data: bytes, mode: int | None) -> None:
    temporary = f".{name}.t3site-{secrets.token_hex(6)}.tmp"
    fd, unnamed = _new_file(dir_fd, temporary)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if mode is not None:  # keep an executable script executable
                os.fchmod(fd, mode)
            os.fsync(fd)
            if unnamed:  # named only now, for the instant until the rename
                os.link(f"/proc/self/fd/{fd}", temporary, dst_dir_fd=dir_fd)
        finally:
            os.close(fd)
        os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary, dir_fd=dir_fd)
        raise
    # Make the rename itself durable, not only the file's content.
    os.fsync(dir_fd)


def write_file(
    root: str, relative: str, data: bytes, expected_sha256: str | None, protected: Collection[str] = ()
) -> dict:
    """Replace (or create) a file atomically; refuse if it no longer has ``expected_sha256``.

    ``expected_sha256`` of None means create-or-overwrite whatever is there.
    """
    shown, target = confine(root, relative, protected)
    if not shown:
        raise PathRefused("give the path of a file, not the project folder")
    # A write into .git could plant a hook or a config entry (core.fsmonitor) that
    # git would later run: that would turn the write scope into running programs.
    # Check the resolved path too: a symlink inside the project may point into .git.
    resolved = os.path.relpath(target, os.path.realpath(root))
    if any(part.casefold() == ".git" for part in (*shown.split("/"), *resolved.split(os.sep))):
        raise PathRefused("files inside .git are git's own; change them with git in a terminal")
    if len(data) > FILE_SIZE_LIMIT_BYTES:
        raise TooLarge(
            f"{len(data)} bytes is over the {FILE_SIZE_LIMIT_BYTES} byte limit", len(data), FILE_SIZE_LIMIT_BYTES
        )
    folder = os.path.dirname(shown)
    with _write_lock:
        try:
            dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | _NO_FOLLOW)
        except (FileNotFoundError, NotADirectoryError):
            raise PathMissing(f"no folder {folder or '.'!r} in the project to write {shown!r} in") from None
        try:
            current = _current(dir_fd, target.name, shown)
            actual = current[0] if current else None
            if expected_sha256 is not None and expected_sha256.lower() != actual:
                raise Conflict(f"{shown!r} changed since it was read", actual)
            _replace(dir_fd, target.name, data, current[1] if current else None)
        except PermissionError:
            raise PathRefused(f"cannot write {shown!r}: permission denied") from None
        finally:
            os.close(dir_fd)
    return {"path": shown, "sha256": sha256_hex(data), "size": len(data)}

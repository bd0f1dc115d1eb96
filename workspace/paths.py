"""Keep a client-supplied path inside a project's folder. No Django imports.

A device with the ``write`` scope may change files in a project, but nothing
outside it: not through ``..``, not through an absolute path, and not through a
symlink (at any depth) that points elsewhere. Paths are checked after every
symlink is resolved, so what is checked is what is opened; the open itself then
refuses to follow a final symlink (O_NOFOLLOW), which narrows the window in which
a local process could swap a file for a link after the check.

Some places stay out of reach (``protected``, the one list in
workspace.protected): a project root that is, holds or lies inside one is
refused outright, and every path is checked against them again, so a project
made before a place joined the list still cannot reach it.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath


class PathRefused(ValueError):
    """The path is malformed, leaves the project folder, or names the wrong kind of thing."""


class PathMissing(LookupError):
    """The path (or the folder it should be in) does not exist."""


class PathExists(ValueError):
    """Something already exists where something new should be made."""


@contextmanager
def explained(*, missing: str, not_a_folder: str, denied: str) -> Iterator[None]:
    """Turn the OS errors of a folder operation into the path errors a user reads."""
    try:
        yield
    except FileNotFoundError:
        raise PathMissing(missing) from None
    except NotADirectoryError:
        raise PathRefused(not_a_folder) from None
    except PermissionError:
        raise PathRefused(denied) from None


# Linux's PATH_MAX and NAME_MAX, in bytes: longer paths fail in the kernel anyway, as an OSError
# that would otherwise surface as an internal error rather than as the client's mistake.
PATH_MAX_BYTES = 4096
NAME_MAX_BYTES = 255


def checked(text: str) -> str:
    """Return ``text`` if the filesystem can take it as a path; raise PathRefused saying why not.

    JSON lets a client send a lone surrogate, which no filesystem call can encode, and any
    length at all: both are the client's mistake, told as such, before any OS call.
    """
    if "\x00" in text:
        raise PathRefused("a path cannot contain a NUL byte")
    try:
        encoded = os.fsencode(text)
    except UnicodeEncodeError:
        raise PathRefused("a path must be valid Unicode text (it holds a lone surrogate)") from None
    if len(encoded) > PATH_MAX_BYTES:
        raise PathRefused(f"a path can be at most {PATH_MAX_BYTES} bytes long")
    if any(len(part) > NAME_MAX_BYTES for part in encoded.split(b"/")):
        raise PathRefused(f"a file or folder name can be at most {NAME_MAX_BYTES} bytes long")
    return text


def relative_parts(relative: str) -> tuple[str, ...]:
    """Return the components of a project-relative path, refusing anything that could leave the root."""
    checked(relative)
    if relative.startswith(("/", "\\")) or os.path.isabs(relative):
        raise PathRefused(f"{relative!r} is absolute; give a path relative to the project folder")
    parts = tuple(part for part in PurePosixPath(relative).parts if part not in ("", "."))
    if ".." in parts:
        raise PathRefused(f"{relative!r} contains '..'; paths stay inside the project folder")
    return parts


def is_inside(root: str, candidate: str) -> bool:
    """Return whether ``candidate`` is ``root`` or below it (both already resolved)."""
    return os.path.commonpath([root, candidate]) == root


def confine(root: str | Path, relative: str, protected: Collection[str] = ()) -> tuple[str, Path]:
    """Return ``relative`` normalised and its resolved absolute path inside ``root``.

    Raise PathRefused when the path is malformed or, once every symlink in it is
    resolved, ends up outside ``root`` or inside one of the ``protected``
    folders (resolved absolute paths). The file need not exist.
    """
    real_root = os.path.realpath(root)
    parts = relative_parts(relative)
    resolved = os.path.realpath(os.path.join(real_root, *parts))
    if not is_inside(real_root, resolved):
        raise PathRefused(f"{relative!r} leads outside the project folder through a symlink")
    for folder in protected:
        if is_inside(folder, resolved):
            raise PathRefused(f"{relative!r} is inside {folder}, which the server keeps out of every project")
    return "/".join(parts), Path(resolved)


def root_refusal(root: str, protected: Collection[str]) -> str | None:
    """Return why the resolved folder ``root`` cannot be a project, or None if it can.

    Refused: a root that is or lies inside one of the ``protected`` paths, and one
    that holds one: a project of ``~`` would reach ``~/.ssh``, a project of ``/`` everything.
    """
    for place in protected:
        if is_inside(place, root):
            where = "is" if root == place else "is inside"
            return f"{root} {where} {place}, which the server keeps out of every project"
        if is_inside(root, place):
            return f"{root} holds {place}, which the server keeps out of every project; choose a folder apart from it"
    return None


def display(parts_path: str, name: str) -> str:
    """Return the project-relative path of ``name`` inside the project-relative folder ``parts_path``."""
    return f"{parts_path}/{name}" if parts_path else name

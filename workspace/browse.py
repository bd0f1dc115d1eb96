"""The remote folder picker: list the folders of any folder on the server. No Django imports.

Unlike project files, the picker is not confined to a root: choosing where a new
project lives is its whole point. It lists folders only, never file contents, and marks the folders that cannot
become projects (``addable``: see ``paths.root_refusal``).
"""

from __future__ import annotations

import os
from collections.abc import Collection

from workspace.gitinfo import is_git_repo
from workspace.paths import PathExists, PathRefused, explained, root_refusal

BROWSE_ENTRY_LIMIT = 2000


def default_folder() -> str:
    """Return the folder the picker opens in: the server's working folder (`serve [CWD]`), or home."""
    try:
        return os.getcwd()
    except FileNotFoundError:  # the folder was removed under the running server
        return os.path.expanduser("~")


def absolute(text: str) -> str:
    """Return ``text`` (absolute, ``~``-relative, or relative to the server's folder) as an absolute path."""
    if "\x00" in text:
        raise PathRefused("a path cannot contain a NUL byte")
    if not text.strip():
        raise PathRefused("give a folder path")
    return os.path.abspath(os.path.join(default_folder(), os.path.expanduser(text)))


def breadcrumbs(folder: str) -> list[dict]:
    """Return each folder from the filesystem root down to ``folder``, for a clickable path bar."""
    crumbs = []
    current = folder
    while True:
        crumbs.append({"name": os.path.basename(current) or current, "path": current})
        parent = os.path.dirname(current)
        if parent == current:
            return crumbs[::-1]
        current = parent


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows symlinks: a link to a folder is offered like the folder
    except OSError:
        return False


def browse(
    path: str | None,
    project_paths: Collection[str],
    *,
    show_hidden: bool = False,
    server_folders: Collection[str] = (),
    protected: Collection[str] = (),
) -> dict:
    """Return the subfolders of ``path`` (default: the server's folder), hidden ones only if asked and last."""

    def addable(candidate: str) -> bool:
        return root_refusal(os.path.realpath(candidate), server_folders, protected) is None

    folder = os.path.realpath(absolute(path) if path is not None else default_folder())
    entries = []
    truncated = False
    with (
        explained(
            missing=f"no folder {folder}",
            not_a_folder=f"{folder} is a file, not a folder",
            denied=f"cannot read {folder}: permission denied",
        ),
        os.scandir(folder) as found,
    ):
        for entry in found:
            hidden = entry.name.startswith(".")
            if (hidden and not show_hidden) or not _is_folder(entry):
                continue
            if len(entries) == BROWSE_ENTRY_LIMIT:
                truncated = True
                break
            entries.append(
                {
                    "name": entry.name,
                    "path": entry.path,
                    "isGitRepo": is_git_repo(entry.path),
                    "isProject": os.path.realpath(entry.path) in project_paths,
                    "hidden": hidden,
                    "addable": addable(entry.path),
                }
            )
    entries.sort(key=lambda item: (item["hidden"], item["name"].casefold(), item["name"]))
    parent = os.path.dirname(folder)
    return {
        "path": folder,
        "addable": addable(folder),
        "parent": parent if parent != folder else None,
        "home": os.path.expanduser("~"),
        "breadcrumbs": breadcrumbs(folder),
        "entries": entries,
        "truncated": truncated,
    }


def create_directory(path: str) -> str:
    """Make one new folder (its parent must exist) and return its resolved path."""
    target = absolute(path)
    parent = os.path.dirname(target)
    try:
        with explained(
            missing=f"cannot make {target}: the folder {parent} does not exist",
            not_a_folder=f"cannot make {target}: {parent} is not a folder",
            denied=f"cannot make {target}: permission denied",
        ):
            os.mkdir(target)
    except FileExistsError:
        raise PathExists(f"{target} already exists") from None
    return os.path.realpath(target)

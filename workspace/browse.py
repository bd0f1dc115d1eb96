"""The remote folder picker: list the folders of any folder on the server. No Django imports.

Unlike project files, the picker is not confined to a root: choosing where a new
project lives is its whole point, which is why it needs the ``terminal`` scope, the
one that already reaches the whole machine. It lists folders only, never file
contents, and marks the folders that cannot become projects (``addable``: see
``paths.root_refusal``). New folders are still kept out of the ``protected`` places,
so the picker cannot be used to prepare one (``~/.config/git``) for a later write.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from workspace.gitinfo import is_git_repo
from workspace.paths import PathExists, PathRefused, checked, explained, is_inside, root_refusal

BROWSE_ENTRY_LIMIT = 2000


def default_folder() -> str:
    """Return the folder the picker opens in: the server's working folder (`serve [CWD]`), or home."""
    try:
        return os.getcwd()
    except FileNotFoundError:  # the folder was removed under the running server
        return os.path.expanduser("~")


def absolute(text: str) -> str:
    """Return ``text`` (absolute, ``~``-relative, or relative to the server's folder) as an absolute path."""
    checked(text)
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
    protected: Collection[str] = (),
) -> dict:
    """Return the subfolders of ``path`` (default: the server's folder), hidden ones only if asked and last."""

    def addable(candidate: str) -> bool:
        return root_refusal(os.path.realpath(candidate), protected) is None

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


def create_directory(path: str, protected: Collection[str] = ()) -> str:
    """Make one new folder (its parent must exist) and return its resolved path.

    The path may not use ``..``, and the folder it makes may not be inside a
    ``protected`` place once its parent's symlinks are resolved: what is checked is
    exactly what is made (the resolved parent plus the new name; ``mkdir`` does not
    follow a symlink in that last name).
    """
    if ".." in path.replace("\\", "/").split("/"):
        raise PathRefused(f"{path!r} contains '..'; give the new folder's own path")
    target = absolute(path)
    parent, name = os.path.split(target)
    try:
        with explained(
            missing=f"cannot make {target}: the folder {parent} does not exist",
            not_a_folder=f"cannot make {target}: {parent} is not a folder",
            denied=f"cannot make {target}: permission denied",
        ):
            made = os.path.join(os.path.realpath(parent, strict=True), name)
            for place in protected:
                if is_inside(place, made):
                    raise PathRefused(f"{made} would be inside {place}, which the server keeps out of every project")
            os.mkdir(made)
    except FileExistsError:
        raise PathExists(f"{target} already exists") from None
    return made

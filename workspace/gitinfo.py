"""Read a project's git state by running the real git binary. No Django imports.

git runs as an asyncio subprocess so the event loop keeps serving other calls,
with an argument list (no shell), ``-C root``, a timeout, no prompts, and
options that stop a repository's own config from running programs. A device that
only looks at a repository (``read``) must never make the server run a program,
and a repository's config is not the user's: its ``.git/config`` may include a
work-tree file (``include.path = ../.gitconfig``) that any ``write`` device can
change. So: no fsmonitor, no hooks, no external diff or textconv, no transport
(a partial clone would fetch missing objects by itself, through ``ssh`` or
``remote.*.uploadpack``), no git run inside submodules (under their own config),
and a file's clean/smudge filters only from config no project can change
(``_switch_offs``).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from t3site import clock
from workspace.paths import is_inside

GIT_TIMEOUT_SECONDS = 15
DIFF_LIMIT_BYTES = 1024 * 1024
LOG_DEFAULT_LIMIT = 50
LOG_MAX_LIMIT = 500
_READ_CHUNK_BYTES = 64 * 1024
# git's error message is its last line; a chatty git keeps only this much of stderr.
STDERR_LIMIT_BYTES = 64 * 1024
# Command-line config beats every config file, the repository's own .git/config included.
_SAFE_CONFIG = (
    *("-c", "core.fsmonitor=false"),  # status would start the configured fsmonitor program
    *("-c", "core.hooksPath=/dev/null"),  # no hook runs, whatever a command does to the index
    *("-c", "protocol.allow=never"),  # no fetch: no ssh, no upload-pack, no remote helper
)
# Settings that name a program git runs while it reads a work tree, with the value that
# switches each off, and whether the user's own config (_trusted) may still set it: a git-lfs
# filter in ~/.gitconfig keeps working. protocol.<name>.allow beats protocol.allow: always never.
_PROGRAM_SETTINGS = (
    (re.compile(r"filter\..*\.(clean|smudge|process)"), "", True),
    (re.compile(r"filter\..*\.required"), "false", True),
    (re.compile(r"diff\..*\.(command|textconv)|diff\.external"), "", True),
    (re.compile(r"protocol\..*\.allow"), "never", False),
)
_CONFIG_LIST = ("config", "--list", "--show-scope", "--show-origin", "-z")
_LOG_FIELDS = ("hash", "shortHash", "author", "email", "date", "subject")
_LOG_FORMAT = "%x00".join(("%H", "%h", "%an", "%ae", "%aI", "%s")) + "%x1e"


class GitError(Exception):
    """git failed, was missing, or took too long."""


class NotARepository(GitError):
    pass


@dataclass
class GitOutput:
    returncode: int
    stdout: bytes
    stderr: str
    truncated: bool = False


def is_git_repo(folder: str | Path) -> bool:
    """Return whether ``folder`` is the top of a git work tree (a .git folder, or file for worktrees)."""
    return os.path.exists(os.path.join(folder, ".git"))


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # No credential prompts, no pager, stable English messages, no index.lock taken by a
    # read-only status refresh (it would block the user's own git), and no lazy fetch of
    # a partial clone's missing objects (git 2.39.4+; protocol.allow=never stops older ones).
    env.update(GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", LC_ALL="C", GIT_OPTIONAL_LOCKS="0", GIT_NO_LAZY_FETCH="1")
    return env


@dataclass(frozen=True)
class ConfigEntry:
    scope: str
    origin: str
    key: str
    value: str


def parse_config_list(output: bytes) -> list[ConfigEntry]:
    """Return the entries of ``git config --list --show-scope --show-origin -z``, in git's order."""
    # Each entry is three NUL-terminated fields: scope, origin, "key\nvalue".
    fields = output.decode("utf-8", "surrogateescape").split("\x00")[:-1]
    entries = []
    for scope, origin, item in zip(fields[0::3], fields[1::3], fields[2::3], strict=True):
        key, _, value = item.partition("\n")  # a key without "= value" has no newline
        entries.append(ConfigEntry(scope, origin, key, value))
    return entries


def _trusted(entry: ConfigEntry, protected: Collection[str]) -> bool:
    """Return whether ``entry`` comes from config that no project can change.

    The system config, and files inside the ``protected`` places (``~/.gitconfig``,
    ``~/.config/git/config`` and what they include from there). Not the repository's
    own config, nor any file it includes, nor a global include of a project's file.
    """
    if entry.scope == "system":
        return True
    kind, _, path = entry.origin.partition(":")
    if kind != "file" or not os.path.isabs(path):  # .git/config is shown relative
        return False
    resolved = os.path.realpath(path)
    return any(is_inside(place, resolved) for place in protected)


def _switch_offs(entries: list[ConfigEntry], protected: Collection[str]) -> list[str]:
    """Return ``-c`` options that undo every program setting made outside trusted config.

    Each such key gets the value trusted config gives it (the last one, as git takes),
    else the value that switches it off. ``-c`` beats every file, in this git and in
    any git it starts.
    """
    trusted: dict[str, str] = {}
    untrusted: dict[str, str] = {}
    for entry in entries:
        for pattern, off, user_may_set in _PROGRAM_SETTINGS:
            if pattern.fullmatch(entry.key):
                if user_may_set and _trusted(entry, protected):
                    trusted[entry.key] = entry.value
                else:
                    untrusted[entry.key] = off
                break
    options = []
    for key, off in untrusted.items():
        if "=" in key:  # -c splits at the first "=": such a key cannot be set back
            raise GitError(f"git config has {key!r}, which t3site cannot switch off; use git in a terminal")
        options += ["-c", f"{key}={trusted.get(key, off)}"]
    return options


async def _read_capped(stream: asyncio.StreamReader, limit_bytes: int | None) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    total = 0
    while chunk := await stream.read(_READ_CHUNK_BYTES):
        chunks.append(chunk)
        total += len(chunk)
        if limit_bytes is not None and total > limit_bytes:
            return b"".join(chunks)[:limit_bytes], True
    return b"".join(chunks), False


async def _read_tail(stream: asyncio.StreamReader, limit_bytes: int) -> bytes:
    """Read ``stream`` to its end, keeping only its last ``limit_bytes``."""
    kept = bytearray()
    while chunk := await stream.read(_READ_CHUNK_BYTES):
        kept += chunk
        del kept[:-limit_bytes]
    return bytes(kept)


async def _spawn(
    root: str | Path,
    args: tuple[str, ...],
    options: list[str],
    limit_bytes: int | None = None,
    ok_returncodes: tuple[int, ...] = (0,),
) -> GitOutput:
    try:
        process = await asyncio.create_subprocess_exec(
            "git",
            "--no-pager",
            *_SAFE_CONFIG,
            *options,
            "-C",
            str(root),
            *args,
            cwd=str(root),
            env=_environment(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        raise GitError("git is not installed on the server") from None
    stderr_task = asyncio.ensure_future(_read_tail(process.stderr, STDERR_LIMIT_BYTES))
    try:
        async with asyncio.timeout(GIT_TIMEOUT_SECONDS):
            stdout, truncated = await _read_capped(process.stdout, limit_bytes)
            if truncated:
                process.kill()
            stderr = await stderr_task
            returncode = await process.wait()
    except TimeoutError:
        raise GitError(f"git {args[0]} took longer than {GIT_TIMEOUT_SECONDS} seconds") from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        stderr_task.cancel()
    message = stderr.decode("utf-8", "replace").strip()
    if not truncated and returncode not in ok_returncodes:
        if "not a git repository" in message:
            raise NotARepository("not a git repository")
        raise GitError(message.splitlines()[-1] if message else f"git {args[0]} failed with exit code {returncode}")
    return GitOutput(returncode, stdout, message, truncated)


async def run_git(
    root: str | Path,
    *args: str,
    protected: Collection[str] = (),
    limit_bytes: int | None = None,
    ok_returncodes: tuple[int, ...] = (0,),
) -> GitOutput:
    """Run ``git -C root ARGS`` and return its output, stopping it once stdout passes ``limit_bytes``.

    First ask git for every config entry it would read there (reading config runs
    nothing), then run ARGS with the program settings no trusted config made switched
    off: config in the ``protected`` places is the user's own, which no project reaches.
    """
    listing = await _spawn(root, _CONFIG_LIST, [])
    options = _switch_offs(parse_config_list(listing.stdout), protected)
    return await _spawn(root, args, options, limit_bytes, ok_returncodes)


def parse_status(output: bytes) -> dict:
    """Return the fields of ``git status --porcelain=v2 --branch -z`` output as git.status shows them."""
    status = {
        "branch": None,
        "detached": False,
        "head": None,
        "upstream": None,
        "ahead": 0,
        "behind": 0,
        "staged": [],
        "unstaged": [],
        "untracked": [],
    }
    records = iter(output.decode("utf-8", "surrogateescape").split("\x00"))
    for record in records:
        if record.startswith("# branch.oid "):
            oid = record.removeprefix("# branch.oid ")
            status["head"] = None if oid == "(initial)" else oid
        elif record.startswith("# branch.head "):
            head = record.removeprefix("# branch.head ")
            status["detached"] = head == "(detached)"
            status["branch"] = None if status["detached"] else head
        elif record.startswith("# branch.upstream "):
            status["upstream"] = record.removeprefix("# branch.upstream ")
        elif record.startswith("# branch.ab "):
            ahead, behind = record.removeprefix("# branch.ab ").split()
            status["ahead"], status["behind"] = int(ahead), -int(behind)
        elif record.startswith(("1 ", "2 ")):
            fields = record.split(" ", 9 if record[0] == "2" else 8)
            xy, path = fields[1], fields[-1]
            # A rename or copy record is followed by a separate record with the old path.
            old_path = next(records) if record[0] == "2" else None
            for side, code in (("staged", xy[0]), ("unstaged", xy[1])):
                if code != ".":
                    change = {"path": path, "status": code}
                    if old_path is not None and code in "RC":
                        change["oldPath"] = old_path
                    status[side].append(change)
        elif record.startswith("u "):
            status["unstaged"].append({"path": record.split(" ", 10)[-1], "status": "U"})
        elif record.startswith("? "):
            status["untracked"].append(record[2:])
    return status


async def status(root: str | Path, protected: Collection[str] = ()) -> dict:
    """Return the branch, upstream, ahead/behind and changed files of the repository at ``root``.

    A submodule counts as changed when its commit differs, not when its own files do:
    finding that out runs git inside it, under the submodule's own config.
    """
    result = await run_git(
        root,
        *("status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal", "--ignore-submodules=dirty"),
        protected=protected,
    )
    return parse_status(result.stdout)


async def _has_commits(root: str | Path, protected: Collection[str]) -> bool:
    # Exit code 1 (with --quiet) means HEAD names no commit yet: a fresh repository.
    result = await run_git(
        root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", protected=protected, ok_returncodes=(0, 1)
    )
    return result.returncode == 0


def parse_log(output: bytes) -> list[dict]:
    """Return the commits of ``git log`` output in ``_LOG_FORMAT``."""
    commits = []
    for record in output.decode("utf-8", "replace").split("\x1e"):
        record = record.strip("\n")
        if not record:
            continue
        commit = dict(zip(_LOG_FIELDS, record.split("\x00"), strict=True))
        commit["date"] = clock.iso(datetime.fromisoformat(commit["date"]))
        commits.append(commit)
    return commits


async def log(root: str | Path, limit: int = LOG_DEFAULT_LIMIT, protected: Collection[str] = ()) -> list[dict]:
    """Return up to ``limit`` commits reachable from HEAD, newest first (none on a repo without commits)."""
    if not await _has_commits(root, protected):
        return []
    result = await run_git(
        root, "log", f"--max-count={limit}", f"--format={_LOG_FORMAT}", "--no-show-signature", protected=protected
    )
    return parse_log(result.stdout)


async def diff(
    root: str | Path, path: str | None = None, *, staged: bool = False, protected: Collection[str] = ()
) -> dict:
    """Return the unified diff of the work tree (or the index, when ``staged``), cut at DIFF_LIMIT_BYTES.

    A submodule shows as the commit it moved to (see ``status`` for why not its own changes).
    """
    args = ["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--ignore-submodules=dirty", "--submodule=short"]
    if staged:
        args.append("--cached")
    if path:
        # :(literal) so a file named like a glob only ever means itself.
        args += ["--", f":(literal){path}"]
    result = await run_git(root, *args, protected=protected, limit_bytes=DIFF_LIMIT_BYTES)
    return {"diff": result.stdout.decode("utf-8", "replace"), "truncated": result.truncated}

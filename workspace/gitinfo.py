"""Read a project's git state by running the real git binary. No Django imports.

git runs as an asyncio subprocess so the event loop keeps serving other calls,
with an argument list (no shell), ``-C root``, a timeout, no prompts, and
options that stop a repository's own config from running programs: status can
start an fsmonitor hook, diff an external diff or textconv driver, log a GPG
verification. None of those may run just because a device looked at a repo.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from t3site import clock

GIT_TIMEOUT_SECONDS = 15
DIFF_LIMIT_BYTES = 1024 * 1024
LOG_DEFAULT_LIMIT = 50
LOG_MAX_LIMIT = 500
_READ_CHUNK_BYTES = 64 * 1024
# git's error message is its last line; a chatty git keeps only this much of stderr.
STDERR_LIMIT_BYTES = 64 * 1024
# Command-line config beats the repository's own .git/config.
_SAFE_CONFIG = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null")
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
    # No credential prompts, no pager, stable English messages, and no index.lock
    # taken by a read-only status refresh (it would block the user's own git).
    env.update(GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", LC_ALL="C", GIT_OPTIONAL_LOCKS="0")
    return env


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


async def run_git(
    root: str | Path, *args: str, limit_bytes: int | None = None, ok_returncodes: tuple[int, ...] = (0,)
) -> GitOutput:
    """Run ``git -C root ARGS`` and return its output, stopping it once stdout passes ``limit_bytes``."""
    try:
        process = await asyncio.create_subprocess_exec(
            "git",
            "--no-pager",
            *_SAFE_CONFIG,
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


async def status(root: str | Path) -> dict:
    """Return the branch, upstream, ahead/behind and changed files of the repository at ``root``."""
    result = await run_git(root, "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal")
    return parse_status(result.stdout)


async def _has_commits(root: str | Path) -> bool:
    # Exit code 1 (with --quiet) means HEAD names no commit yet: a fresh repository.
    result = await run_git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", ok_returncodes=(0, 1))
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


async def log(root: str | Path, limit: int = LOG_DEFAULT_LIMIT) -> list[dict]:
    """Return up to ``limit`` commits reachable from HEAD, newest first (none on a repo without commits)."""
    if not await _has_commits(root):
        return []
    result = await run_git(root, "log", f"--max-count={limit}", f"--format={_LOG_FORMAT}", "--no-show-signature")
    return parse_log(result.stdout)


async def diff(root: str | Path, path: str | None = None, *, staged: bool = False) -> dict:
    """Return the unified diff of the work tree (or the index, when ``staged``), cut at DIFF_LIMIT_BYTES."""
    args = ["diff", "--no-color", "--no-ext-diff", "--no-textconv"]
    if staged:
        args.append("--cached")
    if path:
        # :(literal) so a file named like a glob only ever means itself.
        args += ["--", f":(literal){path}"]
    result = await run_git(root, *args, limit_bytes=DIFF_LIMIT_BYTES)
    return {"diff": result.stdout.decode("utf-8", "replace"), "truncated": result.truncated}

"""Agent CLIs (providers) installed on this machine. No Django imports.

A provider is a command-line coding agent a paired device can run in a
terminal: ``terminal.open`` with ``"command": [provider's command]``. The known
ones are below; more come from the environment variable ``T3SITE_PROVIDERS``, a
comma-separated list of command names (``T3SITE_PROVIDERS=aider,goose``), each
listed under its own name. A provider is available when its command is on the
server's PATH; its version is the first version number ``COMMAND --version``
prints when it succeeds within ``VERSION_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
from contextlib import suppress

from t3site.cache import TTLCache

KNOWN_PROVIDERS = {
    "codex": "Codex",
    "claude": "Claude Code",
    "gemini": "Gemini CLI",
    "opencode": "OpenCode",
}
PROVIDERS_ENV = "T3SITE_PROVIDERS"
VERSION_TIMEOUT_SECONDS = 3.0
# Versions change only when a CLI is updated, and then its file changes too (the cache key).
VERSION_CACHE_SECONDS = 60.0
VERSION_OUTPUT_LIMIT_CHARS = 200
# Of each of stdout and stderr; the rest is read and thrown away so the CLI never blocks on a full pipe.
VERSION_READ_LIMIT_BYTES = 64 * 1024
_READ_CHUNK_BYTES = 16 * 1024
_VERSION_NUMBER = re.compile(r"\d+(?:\.\d+)+[\w.+-]*")
# A command name, never a path or options: it is looked up on PATH and run with --version.
_COMMAND_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

_versions: TTLCache[str | None] = TTLCache(VERSION_CACHE_SECONDS)


def configured_commands() -> list[str]:
    """Return the provider commands: the known ones, then those named in T3SITE_PROVIDERS."""
    extra = [name.strip() for name in os.environ.get(PROVIDERS_ENV, "").split(",")]
    commands = list(KNOWN_PROVIDERS)
    for name in extra:
        if name and _COMMAND_NAME.match(name) and name not in commands:
            commands.append(name)
    return commands


async def list_providers() -> list[dict]:
    """Return every provider: ``{"id","name","command","available","path","version"}``, known ones first."""
    return list(await asyncio.gather(*(_describe(command) for command in configured_commands())))


async def _describe(command: str) -> dict:
    path = shutil.which(command)
    return {
        "id": command,
        "name": KNOWN_PROVIDERS.get(command, command),
        "command": command,
        "available": path is not None,
        "path": path,
        "version": await version_of(path) if path else None,
    }


async def version_of(path: str) -> str | None:
    """Return the version ``path --version`` reports, or None; cached per file for a short while."""
    try:
        key = (path, os.stat(path).st_mtime_ns)
    except OSError:
        return None
    return await _versions.aget(key, lambda: _ask_version(path))


async def _ask_version(path: str) -> str | None:
    try:
        child = await asyncio.create_subprocess_exec(
            path,
            "--version",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError:
        return None
    try:
        async with asyncio.timeout(VERSION_TIMEOUT_SECONDS):
            stdout, stderr = await asyncio.gather(_read_head(child.stdout), _read_head(child.stderr))
            await child.wait()
    except TimeoutError:
        return None
    finally:
        # Timed out or cancelled (the socket went away): the CLI and anything it started go together.
        if child.returncode is None:
            with suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            await asyncio.shield(child.wait())
    if child.returncode != 0:  # an error message is not a version, even when it holds a number
        return None
    return parse_version((stdout or stderr).decode("utf-8", errors="replace"))


async def _read_head(stream: asyncio.StreamReader) -> bytes:
    """Read ``stream`` to its end, keeping only its first ``VERSION_READ_LIMIT_BYTES``."""
    kept = bytearray()
    while chunk := await stream.read(_READ_CHUNK_BYTES):
        kept += chunk[: max(0, VERSION_READ_LIMIT_BYTES - len(kept))]
    return bytes(kept)


def parse_version(output: str) -> str | None:
    """Return the version in a CLI's ``--version`` output: its first version number, else its first line."""
    match = _VERSION_NUMBER.search(output)
    if match:
        return match.group(0)
    first_line = output.strip().splitlines()[0] if output.strip() else ""
    return first_line[:VERSION_OUTPUT_LIMIT_CHARS] or None

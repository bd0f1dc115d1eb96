"""Start an agent's process with its stdio as the ACP transport, and stop it with everything it started.

An agent is handled like a terminal's program (workspace.terminals.process):
it leads a new session, starts with every signal's default action
(``launch.py``), and carries a marker, so stopping it (SIGHUP, then SIGKILL
after ``STOP_GRACE_SECONDS``) also reaches the tools it ran, even those that
left its process tree or its session. The marker is the terminals' one
(``T3SITE_TERMINAL_ID``) set to the agent session's id, which is as random and
unique as a terminal's.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import deque
from pathlib import Path

from workspace.terminals import process

logger = logging.getLogger("t3site.agents")

# One JSON-RPC line can carry a whole file (fs/write_text_file of a 2 MiB file, JSON-escaped).
STDIO_LINE_LIMIT_BYTES = 64 * 1024 * 1024
STOP_GRACE_SECONDS = 2.0
# What an agent printed on stderr last, to say why it failed to start or exited.
STDERR_TAIL_LINES = 20
STDERR_LINE_LIMIT_CHARS = 500
# The session leader before it becomes the agent: -I -S so no PYTHON* variable or site package of the user's runs.
_LAUNCH = [sys.executable, "-I", "-S", str(Path(__file__).with_name("launch.py"))]


async def spawn(session_id: str, argv: list[str], cwd: str) -> asyncio.subprocess.Process:
    """Start ``argv`` in ``cwd`` with pipes for stdin, stdout and stderr; raise OSError if it cannot start."""
    return await asyncio.create_subprocess_exec(
        *_LAUNCH,
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
        env=process.program_env(session_id),
        start_new_session=True,
        limit=STDIO_LINE_LIMIT_BYTES,
    )


def stop(pid: int, session_id: str) -> None:
    """Stop the agent ``pid`` and every process it started: SIGHUP, then SIGKILL after the grace. Blocks."""
    stop_many([(pid, session_id)])


def stop_many(agents: list[tuple[int, str]]) -> None:
    """Stop several agents, given as ``(pid, session id)``, with one grace for all of them. Blocks."""

    def found() -> list:
        return [each for pid, session_id in agents for each in process.session_processes(pid, session_id)]

    if agents:
        process.end(found, STOP_GRACE_SECONDS)


def stop_leftovers(session_ids: list[str]) -> None:
    """Stop what agents of a server that died left running, found by their marker. Blocks up to the grace."""

    def marked() -> list:
        return [found for group in process.marked_processes(session_ids).values() for found in group]

    if session_ids:
        process.end(marked, STOP_GRACE_SECONDS)


class StderrTail:
    """Read an agent's stderr to its end (a full pipe would block the agent), keeping its last lines."""

    def __init__(self, stream: asyncio.StreamReader, label: str) -> None:
        self.lines: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self._label = label
        self.task = asyncio.get_running_loop().create_task(self._read(stream))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await stream.readline()
            except ValueError:  # a line over the stream's limit: its start is enough
                line = b"(a very long line)\n"
            if not line:
                return
            text = line.decode("utf-8", errors="replace").rstrip()[:STDERR_LINE_LIMIT_CHARS]
            if text:
                self.lines.append(text)
                logger.debug("%s: %s", self._label, text)

    def text(self) -> str:
        return "\n".join(self.lines)

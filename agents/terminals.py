"""The agent's terminal/* requests, backed by real t3site terminals (workspace.terminals.registry).

Each command an agent runs this way is an ordinary terminal of the server: it
is listed by terminal.list and shown in the Terminals tab, where the user can
watch it, type into it and close it. The agent's view of it is a ``Capture``
attached like a socket: it keeps the last ``outputByteLimit`` bytes of output,
without escape sequences, and learns the exit code.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from workspace.terminals import process, registry
from workspace.terminals.terminal import Terminal

# The PTY an agent's command runs on: wide enough that tools do not wrap their lines.
TERMINAL_COLS = 160
TERMINAL_ROWS = 48
DEFAULT_OUTPUT_LIMIT_BYTES = 1024 * 1024
# Colours, cursor moves and window titles mean something on a screen, nothing to an agent reading a log.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


class UnknownTerminal(LookupError):
    pass


class Capture:
    """Stands in for a socket on one terminal: keeps its output for the agent and learns its exit.

    It has the outbox interface a terminal writes to (workspace.outbox): it never
    falls behind, so it never paces the program or gets detached.
    """

    backlog_chars = 0

    def __init__(self, limit_bytes: int) -> None:
        self.outbox = self
        self.limit_bytes = limit_bytes
        self.truncated = False
        self.exit_code: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._text = ""

    def notify(self, method: str, params: dict, tag: str | None = None) -> None:
        if method == "terminal.output":
            self._keep(params["data"])
        elif method == "terminal.exit" and not self.exit_code.done():
            self.exit_code.set_result(params["exitCode"])

    def drop(self, tag: str) -> None:
        """Nothing queued to take back: output is kept as it comes."""

    async def drained(self, below_chars: int, stall_seconds: float) -> bool:
        return True

    def output(self) -> str:
        return self._text

    def _keep(self, data: str) -> None:
        self._text += _ESCAPES.sub("", data).replace("\r\n", "\n")
        if len(self._text) <= self.limit_bytes // 4:  # no character is over 4 bytes: surely within the limit
            return
        encoded = self._text.encode("utf-8")
        if len(encoded) > self.limit_bytes:
            # Cut from the start, at a character boundary, as ACP asks.
            self._text = encoded[-self.limit_bytes :].decode("utf-8", errors="ignore")
            self.truncated = True


class AgentTerminals:
    """The terminals one agent session started, by the id the agent knows them by (the terminal's own)."""

    def __init__(self, project_id: str | None, root: str) -> None:
        self.project_id = project_id
        self.root = root
        self._open: dict[str, tuple[Terminal, Capture]] = {}

    def create(self, command: str, args: list[str], env: dict[str, str], cwd: str | None, limit: int | None) -> str:
        """Start ``command`` in a new terminal and return its id; raise OSError or ValueError if it cannot start.

        With ``args`` the command is a program run with them; without, a command
        line the user's shell runs, since agents send both forms.
        """
        argv = process.program_argv([command, *args] if args else command)
        if env:
            argv = ["env", *(f"{name}={value}" for name, value in env.items()), *argv]
        folder = Path(self.root) / (cwd or "")
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder} is not a folder")
        terminal = registry.open_terminal(
            cwd=folder, cols=TERMINAL_COLS, rows=TERMINAL_ROWS, command=argv, project_id=self.project_id
        )
        capture = Capture(limit or DEFAULT_OUTPUT_LIMIT_BYTES)
        # Attached before anything awaits, so it sees every byte (see registry.open_terminal).
        terminal.attach(capture)
        self._open[terminal.id] = (terminal, capture)
        return terminal.id

    def output(self, terminal_id: str) -> dict:
        """Return ``{"output","truncated","exitStatus"?}`` as terminal/output answers."""
        terminal, capture = self._get(terminal_id)
        answer = {"output": capture.output(), "truncated": capture.truncated}
        if capture.exit_code.done():
            answer["exitStatus"] = {"exitCode": capture.exit_code.result()}
        return answer

    async def wait_for_exit(self, terminal_id: str) -> dict:
        _, capture = self._get(terminal_id)
        return {"exitCode": await asyncio.shield(capture.exit_code)}

    async def kill(self, terminal_id: str) -> None:
        """Stop the command (SIGHUP, then SIGKILL); its output and exit stay readable until it is released."""
        terminal, _ = self._get(terminal_id)
        await terminal.close()

    async def release(self, terminal_id: str) -> None:
        """Stop the command if it still runs and forget it (the Terminals tab keeps showing how it ended)."""
        terminal, _ = self._get(terminal_id)
        del self._open[terminal_id]
        await terminal.close()

    async def release_all(self) -> None:
        await asyncio.gather(*(self.release(terminal_id) for terminal_id in list(self._open)))

    def _get(self, terminal_id: str) -> tuple[Terminal, Capture]:
        try:
            return self._open[terminal_id]
        except KeyError:
            raise UnknownTerminal(f"no terminal {terminal_id!r} in this session") from None

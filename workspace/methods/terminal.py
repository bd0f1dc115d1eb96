"""terminal.* methods: real terminals on this machine (docs/contract.md §5), all needing the terminal scope.

A terminal outlives the socket that opened it. The opening socket is attached
to it at once; any socket can attach later and gets the recent scrollback, then
live ``terminal.output {"terminalId","data"}`` and a final
``terminal.exit {"terminalId","exitCode"}``. An exit by signal N reads 128 + N,
as in a shell.
"""

from __future__ import annotations

from pathlib import Path

from pairing.scopes import TERMINAL
from workspace.methods.projects import domain_errors, project_for
from workspace.paths import checked
from workspace.rpc import CONFLICT, INVALID_PARAMS, NOT_FOUND, TOO_LARGE, Call, RpcError, method
from workspace.terminals import registry
from workspace.terminals.terminal import InputBacklogFull, Terminal, TerminalExited

MAX_SIZE_CELLS = 1000
MAX_WRITE_BYTES = 1024 * 1024


def _size(call: Call) -> tuple[int, int]:
    cols, rows = call.param("cols", int), call.param("rows", int)
    if not (1 <= cols <= MAX_SIZE_CELLS and 1 <= rows <= MAX_SIZE_CELLS):
        raise RpcError(INVALID_PARAMS, f"cols and rows must be between 1 and {MAX_SIZE_CELLS}")
    return cols, rows


def _command(call: Call) -> str | list[str] | None:
    command = call.param("command", (str, list), required=False)
    parts = [command] if isinstance(command, str) else command or []
    valid = parts and all(isinstance(part, str) and part and "\0" not in part for part in parts)
    if command is not None and not valid:
        raise RpcError(INVALID_PARAMS, "command must be a command line or a list of arguments, not empty, without NUL")
    return command


def _terminal(call: Call) -> Terminal:
    try:
        return registry.get(call.param("terminalId", str))
    except registry.UnknownTerminal:
        raise RpcError(NOT_FOUND, "no such terminal") from None


def _attach(call: Call, terminal: Terminal) -> dict:
    # The socket stops getting output when it goes away; the terminal keeps running.
    call.connection.on_disconnect(registry.detach_socket)
    return terminal.attach(call.connection)


@method("terminal.open", TERMINAL)
async def open_terminal(call: Call) -> dict:
    """Start a program in a new PTY and attach the calling socket to it.

    ``command`` absent: the user's shell (``$SHELL -l``); a string: a command line
    that shell runs (``$SHELL -lc LINE``); a list: an argv run as it is, the way a
    provider from providers.list is started (``["claude"]``).

    ``cwd`` defaults to the project's folder (``projectId``), else the server's
    working folder; a relative ``cwd`` is taken from there.
    """
    cols, rows = _size(call)
    command = _command(call)
    project = await project_for(call) if call.params.get("projectId") is not None else None
    project_id = project.id if project else None
    base = Path(project.path) if project else Path.cwd()
    with domain_errors():
        cwd = base / Path(checked(call.param("cwd", str, required=False, default=""))).expanduser()
    if not cwd.is_dir():
        raise RpcError(INVALID_PARAMS, f"{cwd} is not a folder")
    try:
        terminal = registry.open_terminal(cwd=cwd, cols=cols, rows=rows, command=command, project_id=project_id)
    except OSError as exc:
        raise RpcError(INVALID_PARAMS, f"cannot start the program: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL byte or a lone surrogate in the command line
        raise RpcError(INVALID_PARAMS, f"cannot start the program: {exc}") from None
    _attach(call, terminal)
    return {"terminalId": terminal.id}


@method("terminal.attach", TERMINAL)
async def attach(call: Call) -> dict:
    """Return the terminal's recent scrollback and whether it exited; live output follows."""
    return _attach(call, _terminal(call))


@method("terminal.write", TERMINAL)
async def write(call: Call) -> dict:
    terminal = _terminal(call)
    data = call.param("data", str).encode("utf-8")
    if len(data) > MAX_WRITE_BYTES:
        raise RpcError(TOO_LARGE, f"write at most {MAX_WRITE_BYTES} bytes at a time")
    try:
        terminal.write(data)
    except TerminalExited:
        raise RpcError(CONFLICT, "the terminal has exited") from None
    except InputBacklogFull:
        raise RpcError(TOO_LARGE, "the program is not reading its input; try again later") from None
    return {"ok": True}


@method("terminal.resize", TERMINAL)
async def resize(call: Call) -> dict:
    terminal = _terminal(call)
    cols, rows = _size(call)
    try:
        terminal.resize(cols, rows)
    except TerminalExited:
        raise RpcError(CONFLICT, "the terminal has exited") from None
    return {"ok": True}


@method("terminal.close", TERMINAL)
async def close(call: Call) -> dict:
    """Stop the terminal's processes (SIGHUP, then SIGKILL) and forget it; return its exit code."""
    terminal = _terminal(call)
    return {"ok": True, "exitCode": await registry.close(terminal.id)}


@method("terminal.list", TERMINAL)
async def list_terminals(call: Call) -> dict:
    return {"terminals": [terminal.as_dict() for terminal in registry.all_terminals()]}

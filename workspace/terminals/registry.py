"""The terminals of this server process, their records in the database, and their end.

Terminals live in this process's memory, on its event loop: a terminal outlives
the socket that opened it, and any socket of the server can attach to it. Each
terminal also has a TerminalRecord row, so another process (``manage.py project
remove --force``) can see a project's live terminals and stop them by pid, and
the next server can end what a server that died left running.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from pathlib import Path

from channels.db import database_sync_to_async
from django.db import connections

from t3site import lifecycle
from t3site.ids import new_id
from workspace.terminals import process
from workspace.terminals.record import TerminalRecord
from workspace.terminals.terminal import CLOSE_GRACE_SECONDS, Socket, Terminal

logger = logging.getLogger("t3site.terminals")

# Exited terminals are kept so a reconnecting client can read how they ended, up to this many.
MAX_EXITED_TERMINALS = 32
# Bounds the database write of a stopping server, which runs in a thread while the loop waits.
SHUTDOWN_RECORD_TIMEOUT_SECONDS = 5.0

_terminals: dict[str, Terminal] = {}
_record_saves: dict[str, asyncio.Task] = {}


class UnknownTerminal(LookupError):
    pass


def open_terminal(
    *, cwd: Path, cols: int, rows: int, command: str | list[str] | None, project_id: str | None
) -> Terminal:
    """Start a terminal running ``command`` (see ``process.program_argv``) and return it.

    Nothing here awaits, so no output can reach a socket before the caller has
    answered with the terminal's id. Raise OSError when the program cannot start.
    """
    terminal = Terminal(new_id(), process.program_argv(command), cwd, cols, rows, project_id, on_exit=_record_exit)
    terminal.start()
    _terminals[terminal.id] = terminal
    _record_saves[terminal.id] = terminal.loop.create_task(database_sync_to_async(_save_record)(terminal))
    return terminal


def get(terminal_id: str) -> Terminal:
    """Return the terminal ``terminal_id`` of this process, or raise UnknownTerminal."""
    try:
        return _terminals[terminal_id]
    except KeyError:
        raise UnknownTerminal(terminal_id) from None


def all_terminals() -> list[Terminal]:
    """Return this process's terminals, oldest first."""
    return sorted(_terminals.values(), key=lambda terminal: terminal.created_at)


def detach_socket(socket: Socket) -> None:
    """Stop sending output to a socket that went away; its terminals keep running."""
    for terminal in list(_terminals.values()):
        terminal.detach(socket)


async def close(terminal_id: str) -> int | None:
    """Stop terminal ``terminal_id`` and forget it; return its exit code."""
    try:
        return await get(terminal_id).close()
    finally:
        _terminals.pop(terminal_id, None)


def stop_all() -> None:
    """Stop every terminal of this process now, blocking up to a short grace (the server is stopping).

    SIGHUP to every terminal at once, SIGKILL to what is left after the grace,
    then the records are marked exited. Sockets are going away: no notifications.
    """
    running = [terminal for terminal in _terminals.values() if not terminal.exited]
    hung_up = [found for terminal in running for found in process.hang_up(terminal.pid, terminal.id)]
    deadline = time.monotonic() + CLOSE_GRACE_SECONDS
    exit_codes = {t.id: t.wait_for_program(max(0.0, deadline - time.monotonic())) for t in running}
    survivors = [found for terminal in running for found in process.session_processes(terminal.pid, terminal.id)]
    process.send_signal(hung_up + survivors, signal.SIGKILL)
    for terminal in running:
        exit_code = exit_codes[terminal.id]
        if exit_code is None:
            exit_code = terminal.wait_for_program(CLOSE_GRACE_SECONDS)
        terminal.release(exit_code)
        exit_codes[terminal.id] = exit_code
    _terminals.clear()
    _record_saves.clear()
    if exit_codes:
        # Called on the event loop, where Django refuses database calls; a thread may make them.
        writer = threading.Thread(target=_mark_all_exited, args=(exit_codes,), name="terminal-records")
        writer.start()
        writer.join(SHUTDOWN_RECORD_TIMEOUT_SECONDS)


def end_leftovers() -> None:
    """End what the terminals of a server that died (kill -9) on this T3SITE_HOME left running.

    Runs in a thread (the server's event loop refuses database calls) so start-up
    does not wait for the grace between SIGHUP and SIGKILL.
    """
    try:
        ended = TerminalRecord.objects.end_leftovers()
        if ended:
            logger.info("ended what %d terminals of a server that stopped without closing them left running", ended)
    except Exception:
        logger.exception("could not end what terminals of an earlier server left running")
    finally:
        connections.close_all()  # this thread's own connection


def _end_leftovers_with_the_server(**kwargs) -> None:
    threading.Thread(target=end_leftovers, name="terminal-leftovers", daemon=True).start()


def _stop_with_the_server(**kwargs) -> None:
    stop_all()


def connect_signals() -> None:
    """Make the `serve` process end the leftovers of a dead server as it starts, and its own terminals as it stops."""
    lifecycle.server_started.connect(_end_leftovers_with_the_server, dispatch_uid="workspace.terminals.leftovers")
    lifecycle.server_stopping.connect(_stop_with_the_server, dispatch_uid="workspace.terminals.stop")


def _save_record(terminal: Terminal) -> None:
    TerminalRecord.objects.create(
        id=terminal.id,
        project_id=terminal.project_id,
        cwd=str(terminal.cwd),
        command=terminal.argv,
        pid=terminal.pid,
        server_pid=os.getpid(),
        created_at=terminal.created_at,
    )


async def _record_exit(terminal: Terminal) -> None:
    _forget_old_exited()
    # The row is written in the background when the terminal opens; mark it only once it exists.
    saving = _record_saves.pop(terminal.id, None)
    try:
        if saving is not None:
            await saving
        await database_sync_to_async(TerminalRecord.objects.mark_exited)(terminal.id, terminal.exit_code)
    except Exception:  # the exit still reaches the sockets; only the record is stale
        logger.exception("could not record the exit of terminal %s", terminal.id)


def _forget_old_exited() -> None:
    exited = [terminal for terminal in all_terminals() if terminal.exited]
    for terminal in exited[:-MAX_EXITED_TERMINALS]:
        _terminals.pop(terminal.id, None)


def _mark_all_exited(exit_codes: dict[str, int | None]) -> None:
    try:
        for terminal_id, exit_code in exit_codes.items():
            TerminalRecord.objects.mark_exited(terminal_id, exit_code)
    except Exception:
        logger.exception("could not mark the terminals of a stopping server as exited")

"""Start a program on a new PTY, and stop everything a terminal started. No Django imports.

The program leads a new session (``start_new_session``) with the PTY as its
controlling terminal, so the shell gets job control, resizes reach the
foreground job as SIGWINCH, and the session id names every process the
terminal started, even ones that left the process tree or their process group.
What leaves the session too (``setsid cmd &``) still carries the terminal's
marker, ``T3SITE_TERMINAL_ID`` in its environment, which every descendant
inherits: session and marker together find them all, and the marker alone finds
what a server that died (kill -9) left behind, since the next server cannot
trust a session id whose leader is gone.

subprocess cannot make a PTY the controlling terminal, nor reset the signals a
server started under ``nohup`` ignores, and Python code between fork and exec
(``preexec_fn``) can deadlock a server that runs threads. So the new session
leader is first ``launch.py`` in a fresh interpreter, which does both and then
becomes the program with ``exec``, keeping its pid.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Collection
from pathlib import Path

import psutil

TERM = "xterm-256color"
# Environment of the server that must not leak into the user's programs: a Django
# project run in the terminal would otherwise load t3site's settings.
SERVER_ONLY_ENV = ("DJANGO_SETTINGS_MODULE",)
# Inherited by every process a terminal starts, naming the terminal. A program meant to outlive its
# terminal unsets it (`env -u T3SITE_TERMINAL_ID setsid CMD &`).
MARKER_ENV = "T3SITE_TERMINAL_ID"
KILL_CHECK_INTERVAL_SECONDS = 0.05
# The session leader before it becomes the program: -I -S so no PYTHON* variable or site package of the user's runs.
_LAUNCH = [sys.executable, "-I", "-S", str(Path(__file__).with_name("launch.py"))]


def user_shell() -> str:
    """Return the user's login shell: $SHELL when it is an executable, else /bin/sh."""
    shell = os.environ.get("SHELL", "")
    return shell if shell and os.access(shell, os.X_OK) else "/bin/sh"


def program_argv(command: str | list[str] | None) -> list[str]:
    """Return the argv a terminal runs for ``command``.

    None is the user's shell as a login shell; a string is a command line run by
    that shell (``$SHELL -lc LINE``, so the user's PATH and quoting apply); a list
    is an argv run as it is, its first item looked up on the server's PATH.
    """
    if command is None:
        return [user_shell(), "-l"]
    if isinstance(command, str):
        return [user_shell(), "-lc", command]
    return list(command)


def program_env(terminal_id: str) -> dict[str, str]:
    """Return the environment of terminal ``terminal_id``'s program: the server's, as a terminal emulator sets it."""
    env = {name: value for name, value in os.environ.items() if name not in SERVER_ONLY_ENV}
    env["TERM"] = TERM
    env["COLORTERM"] = "truecolor"
    env[MARKER_ENV] = terminal_id
    return env


def _check_program(program: str, cwd: Path, env: dict[str, str]) -> None:
    # The program is started by the shell's exec, whose failure is only an exit code: look first, for a real error.
    found = os.path.join(cwd, program) if "/" in program else shutil.which(program, path=env.get("PATH"))
    if found is None or not os.path.isfile(found) or not os.access(found, os.X_OK):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)


def spawn(terminal_id: str, argv: list[str], cwd: Path, cols: int, rows: int) -> tuple[subprocess.Popen, int]:
    """Start ``argv`` in ``cwd`` on a new PTY of ``cols`` x ``rows``; return the process and the master fd.

    The program starts with every signal's default action and none blocked,
    whatever the server inherited. The master is non-blocking and not
    inherited. Raise OSError when the program cannot start.
    """
    env = program_env(terminal_id)
    _check_program(argv[0], cwd, env)
    master, slave = os.openpty()
    try:
        set_size(slave, cols, rows)
        process = subprocess.Popen(
            [*_LAUNCH, *argv],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        # Only the program may hold the slave: when its last holder closes it, the master reads EOF.
        os.close(slave)
    os.set_blocking(master, False)
    return process, master


def set_size(fd: int, cols: int, rows: int) -> None:
    """Set the window size of the PTY behind ``fd``; the foreground job gets SIGWINCH."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def exit_code(returncode: int) -> int:
    """Return a process's exit status as a shell shows it: 128 + N for death by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def session_processes(leader_pid: int, terminal_id: str) -> list[psutil.Process]:
    """Return the processes terminal ``terminal_id`` started: the leader, its descendants, its session, its marker.

    Descendants alone miss a background job whose parent exited; the session
    alone misses a child that called setsid; the marker alone misses a program
    that cleared its environment. Together they leave no orphans.
    """
    found: dict[int, psutil.Process] = {}
    try:
        # Only while the pid still leads its session: a reused pid is someone else's process.
        if os.getsid(leader_pid) == leader_pid:
            leader = psutil.Process(leader_pid)
            found[leader.pid] = leader
            found.update((child.pid, child) for child in leader.children(recursive=True))
    except (OSError, psutil.NoSuchProcess):
        pass
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) == leader_pid:
                found.setdefault(process.pid, process)
        except OSError:  # gone, or another session this platform will not tell us about
            continue
    for process in marked_processes([terminal_id]):
        found.setdefault(process.pid, process)
    return list(found.values())


def marked_processes(terminal_ids: Collection[str]) -> list[psutil.Process]:
    """Return this user's processes that carry the marker of one of ``terminal_ids``.

    Terminal ids are 64 random bits: a process with one of them in its environment
    was started by that terminal, whatever became of the server, the session or their pids.
    """
    wanted = set(terminal_ids)
    uid, me = os.getuid(), os.getpid()
    found = []
    for process in psutil.process_iter(["uids"]) if wanted else ():
        uids = process.info["uids"]
        if process.pid == me or uids is None or uids.real != uid:
            continue
        try:
            if process.environ().get(MARKER_ENV) in wanted:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):  # gone, a zombie, or set-uid to someone else
            continue
    return found


def send_signal(processes: list[psutil.Process], sig: int) -> None:
    """Send ``sig`` to each process still running (psutil checks it is the same process, not a reused pid)."""
    for process in processes:
        try:
            process.send_signal(sig)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue


def hang_up(leader_pid: int, terminal_id: str) -> list[psutil.Process]:
    """Send SIGHUP to a terminal's processes, as closing a terminal window does; return them."""
    processes = session_processes(leader_pid, terminal_id)
    send_signal(processes, signal.SIGHUP)
    return processes


def kill_session(leader_pid: int, terminal_id: str, grace_seconds: float) -> None:
    """Stop every process of a terminal: SIGHUP, then SIGKILL whatever is left after ``grace_seconds``.

    Blocks up to ``grace_seconds``; for callers outside the event loop (another process, a worker thread).
    """
    end(lambda: session_processes(leader_pid, terminal_id), grace_seconds)


def end(find: Callable[[], list[psutil.Process]], grace_seconds: float) -> None:
    """Send SIGHUP to the processes ``find`` returns, and SIGKILL to those left after ``grace_seconds``.

    ``find`` is asked again before SIGKILL, for what was started meanwhile. Blocks up to ``grace_seconds``.
    """
    processes = find()
    send_signal(processes, signal.SIGHUP)
    deadline = time.monotonic() + grace_seconds
    # Checked, never waited for: waiting would reap the server's own child and hide its exit code from it.
    while _running(processes) and time.monotonic() < deadline:
        time.sleep(KILL_CHECK_INTERVAL_SECONDS)
    send_signal(_running(processes) + find(), signal.SIGKILL)


def _running(processes: list[psutil.Process]) -> list[psutil.Process]:
    running = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                running.append(process)
        except psutil.NoSuchProcess:
            continue
    return running

"""Run as ``python -I -S launch.py PROGRAM [ARGS...]``: become a terminal's program, as a terminal starts one.

Started by ``process.spawn`` as the leader of a new session, with the PTY's
slave as stdin, stdout and stderr. It makes that PTY its controlling terminal,
gives every signal its default action and unblocks them all, then becomes
PROGRAM with ``exec``, keeping its pid.

Why signals: an ignored signal and the blocked mask survive ``exec``, so a
server started with SIGHUP ignored (``nohup manage.py serve &``) would hand that
to every program in its terminals, which would then ignore ``terminal.close``'s
SIGHUP. subprocess only restores SIGPIPE and SIGXFSZ, and running Python code
between fork and exec (``preexec_fn``) can deadlock a server that runs threads;
a shell cannot help either, as POSIX lets it neither trap nor reset a signal
that was ignored when it started. A fresh interpreter can.

Only the standard library, no site packages: this runs before the user's program, in every terminal.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import termios

# Exit codes of a shell whose program cannot be run.
CANNOT_EXECUTE = 126
NOT_FOUND = 127


def reset_signals() -> None:
    """Give every signal its default action, and block none."""
    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(number, signal.SIG_DFL)
        except (OSError, ValueError):  # a signal the C library keeps for itself
            continue
    signal.pthread_sigmask(signal.SIG_SETMASK, ())


def main(argv: list[str]) -> None:
    # A session leader without a controlling terminal takes the one on its stdin.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    reset_signals()
    try:
        os.execvp(argv[0], argv)  # noqa: S606 - the program the user asked for, as a shell's exec runs it
    except OSError as exc:
        sys.stderr.write(f"{argv[0]}: {exc.strerror}\r\n")
        sys.stderr.flush()
        os._exit(NOT_FOUND if isinstance(exc, FileNotFoundError) else CANNOT_EXECUTE)


if __name__ == "__main__":
    main(sys.argv[1:])

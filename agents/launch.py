"""Run as ``python -I -S launch.py PROGRAM [ARGS...]``: become an agent, with every signal's default action.

Started by ``agents.process.spawn`` as the leader of a new session, with pipes
as stdin, stdout and stderr (ACP's transport). An ignored signal and the blocked
mask survive ``exec``, so a server started under ``nohup`` would hand SIGHUP's
"ignore" to its agents, which would then outlive ``agents.close``; subprocess
cannot reset them and ``preexec_fn`` can deadlock a threaded server. The reset
is the one terminals use (workspace.terminals.launch); unlike a terminal's
program, an agent takes no controlling terminal.

Only the standard library and that one module: ``-I`` keeps PYTHON* variables and
the current folder out, so the checkout is put on the path by hand.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workspace.terminals.launch import CANNOT_EXECUTE, NOT_FOUND, reset_signals  # noqa: E402


def main(argv: list[str]) -> None:
    reset_signals()
    try:
        os.execvp(argv[0], argv)  # noqa: S606 - the agent's command line, as configured
    except OSError as exc:
        sys.stderr.write(f"{argv[0]}: {exc.strerror}\n")
        sys.stderr.flush()
        os._exit(NOT_FOUND if isinstance(exc, FileNotFoundError) else CANNOT_EXECUTE)


if __name__ == "__main__":
    main(sys.argv[1:])

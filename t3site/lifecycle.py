"""The life of the `serve` process: signals apps hook into, and whether a server that wrote a row still runs."""

from datetime import datetime

import psutil
from django.dispatch import Signal

# A process's start time is known to about a second (the boot time it counts from is whole seconds).
START_TIME_PRECISION_SECONDS = 2.0

# Sent (with no arguments) in the server process once it listens, and when it is about to stop.
server_started = Signal()
server_stopping = Signal()


def server_still_runs(server_pid: int | None, since: datetime) -> bool:
    """Return whether the server process ``server_pid``, which recorded something at ``since``, still runs.

    Terminals and agent sessions are rows a server writes and must mark ended before it goes; one
    killed with SIGKILL leaves them looking live, and the next server asks this to find them. The
    pid may belong to a newer process by now, even to the server that asks: a process that started
    after ``since`` is not the one that wrote the row.
    """
    if server_pid is None:
        return False
    try:
        started = psutil.Process(server_pid).create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # another user's process: not a server of ours, but never assume it dead
        return True
    return started <= since.timestamp() + START_TIME_PRECISION_SECONDS

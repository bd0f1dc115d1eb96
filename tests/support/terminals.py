"""Terminal rows with a real process behind them, for tests that hang terminals up."""

from __future__ import annotations

import os
import subprocess
import uuid

from workspace.models import Project, TerminalRecord


def session_group_leader() -> subprocess.Popen:
    """Start a program in its own process group, as a terminal's program runs."""
    return subprocess.Popen(["sleep", "60"], start_new_session=True)


def live_terminal(project: Project, process: subprocess.Popen) -> TerminalRecord:
    """Record ``process`` as a terminal of ``project`` run by this (server) process."""
    return TerminalRecord.objects.create(
        id=uuid.uuid4().hex, project=project, cwd=project.path, command=["sleep", "60"], pid=process.pid,
        server_pid=os.getpid(),
    )  # fmt: skip

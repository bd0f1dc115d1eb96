"""Terminals in tests: the /ws client that reads their output, rows with a real process behind them, pids."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
import uuid

import psutil
from django.db import connection

from tests.support.sockets import Socket
from tests.support.waiting import eventually
from workspace.models import Project, TerminalRecord
from workspace.terminals import registry


def session_group_leader() -> subprocess.Popen:
    """Start a program in its own process group, as a terminal's program runs."""
    return subprocess.Popen(["sleep", "60"], start_new_session=True)


def live_terminal(project: Project, process: subprocess.Popen) -> TerminalRecord:
    """Record ``process`` as a terminal of ``project`` run by this (server) process."""
    return TerminalRecord.objects.create(
        id=uuid.uuid4().hex, project=project, cwd=project.path, command=["sleep", "60"], pid=process.pid,
        server_pid=os.getpid(),
    )  # fmt: skip


FRAME_TIMEOUT_SECONDS = 10.0
SCENARIO_TIMEOUT_SECONDS = 60.0
GONE_TIMEOUT_SECONDS = 5.0
SIZE = {"cols": 80, "rows": 24}


def run(scenario) -> None:
    """Run an async scenario, bounded in time, then stop whatever terminals it left running."""

    async def bounded() -> None:
        try:
            await asyncio.wait_for(scenario(), SCENARIO_TIMEOUT_SECONDS)
        finally:
            registry.stop_all()

    try:
        asyncio.run(bounded())
    finally:
        connection.close()


class TerminalSocket(Socket):
    """The /ws client (tests.support.sockets.Socket) with a terminal's patience, reading terminals' output."""

    frame_timeout = FRAME_TIMEOUT_SECONDS

    async def error_code(self, method: str, **params) -> int:
        return (await self.error(method, **params))["code"]

    async def output_until(self, terminal_id: str, expected: str) -> str:
        """Return the terminal's output from here until ``expected`` has appeared in it."""
        deadline = time.monotonic() + FRAME_TIMEOUT_SECONDS
        seen = ""
        while expected not in seen:
            frame = await self.next_frame(lambda f: of(f, terminal_id, "terminal.output"), deadline)
            seen += frame["params"]["data"]
        return seen

    async def until_exit(self, terminal_id: str) -> tuple[list[str], int]:
        """Return the terminal's output frames up to its exit, and its exit code."""
        deadline = time.monotonic() + FRAME_TIMEOUT_SECONDS
        frames = []
        while True:
            frame = await self.next_frame(lambda f: of(f, terminal_id, "terminal.output", "terminal.exit"), deadline)
            if frame["method"] == "terminal.exit":
                return frames, frame["params"]["exitCode"]
            frames.append(frame["params"]["data"])


def of(frame: dict, terminal_id: str, *methods: str) -> bool:
    """Return whether ``frame`` is one of these notifications about terminal ``terminal_id``."""
    return frame.get("method") in methods and frame["params"].get("terminalId") == terminal_id


def pids_in(text: str, name: str) -> list[int]:
    return [int(pid) for pid in re.findall(rf"{name}=(\d+)", text)]


def gone(pid: int) -> bool:
    """Return whether ``pid`` has exited (a zombie waiting for its reaper counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until_gone(pids: list[int]) -> list[int]:
    """Return the pids still running after a bounded wait."""
    eventually(lambda: all(gone(pid) for pid in pids), GONE_TIMEOUT_SECONDS, interval=0.05)
    return [pid for pid in pids if not gone(pid)]

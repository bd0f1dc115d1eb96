"""What terminals leave behind: a server killed with SIGKILL, and a server started with SIGHUP ignored.

Real servers on a real T3SITE_HOME, real processes: ``setsid`` and ``nohup``
children outlive a server killed with SIGKILL, and the next server on the same
home ends them (and nothing else) as it starts. A server started under
``nohup`` still gives its terminals' programs default signal handling.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.support.server import RunningServer, command_env, manage, start_server
from tests.support.terminals import FRAME_TIMEOUT_SECONDS, gone, wait_until_gone
from tests.support.waiting import eventually
from workspace.models import TerminalRecord
from workspace.terminals import process

# Start-up ends leftovers in the background: SIGHUP, a grace of 1 s, then SIGKILL.
LEFTOVERS_TIMEOUT_SECONDS = 15.0


class TerminalClient:
    """A socket to a real server that opens terminals and reads their output."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self.output: dict[str, str] = {}
        self.exits: dict[str, int] = {}
        self._ids = 0

    @classmethod
    @contextmanager
    def of(cls, server: RunningServer):
        """Connect to ``server`` with a session issued by its `auth session issue` command."""
        issuing = manage(server.home, "auth", "session", "issue", "--json")
        assert issuing.returncode == 0, issuing.stderr
        headers = {"Authorization": f"Bearer {json.loads(issuing.stdout)['sessionToken']}"}
        with connect(server.ws_url, additional_headers=headers) as socket:
            yield cls(socket)

    def call(self, method: str, **params) -> dict:
        self._ids += 1
        self.socket.send(json.dumps({"jsonrpc": "2.0", "id": self._ids, "method": method, "params": params}))
        deadline = time.monotonic() + FRAME_TIMEOUT_SECONDS
        while True:
            frame = self._frame(deadline)
            if frame.get("id") == self._ids:
                assert "result" in frame, frame
                return frame["result"]

    def open(self, command: list[str]) -> str:
        return self.call("terminal.open", command=command, cols=80, rows=24)["terminalId"]

    def until_exit(self, terminal_id: str) -> str:
        """Return the terminal's whole output once it has exited."""
        deadline = time.monotonic() + FRAME_TIMEOUT_SECONDS
        while terminal_id not in self.exits:
            self._frame(deadline)
        return self.output.get(terminal_id, "")

    def output_until(self, terminal_id: str, pattern: str) -> str:
        deadline = time.monotonic() + FRAME_TIMEOUT_SECONDS
        while not re.search(pattern, self.output.get(terminal_id, "")):
            self._frame(deadline)
        return self.output[terminal_id]

    def _frame(self, deadline: float) -> dict:
        frame = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
        params = frame.get("params", {})
        if frame.get("method") == "terminal.output":
            self.output[params["terminalId"]] = self.output.get(params["terminalId"], "") + params["data"]
        elif frame.get("method") == "terminal.exit":
            self.exits[params["terminalId"]] = params["exitCode"]
        return frame


def read_pid(path: Path) -> int:
    deadline = time.monotonic() + FRAME_TIMEOUT_SECONDS
    while not (path.exists() and path.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return int(path.read_text())


def end(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue


def sleeper(**env: str) -> subprocess.Popen:
    """Start a `sleep` that ignores SIGHUP, as `nohup` leaves one, with ``env`` added to the test's environment."""
    return subprocess.Popen(["sh", "-c", 'trap "" HUP; exec sleep 1000'], env={**os.environ, **env})


@contextmanager
def started_as_nohup_does():
    """Start processes with SIGHUP ignored, as `nohup` does, and SIGUSR1 blocked, as a parent may leave it."""
    ignored = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        signal.signal(signal.SIGHUP, ignored)


def signal_masks(status: str) -> dict[str, int]:
    """Return the Sig* masks of a /proc/PID/status text, as numbers."""
    return {name: int(value, 16) for name, value in re.findall(r"^(Sig\w+):\s+([0-9a-f]+)", status, re.MULTILINE)}


def test_the_next_server_ends_what_terminals_of_a_killed_server_left_running(tmp_path):
    home = tmp_path / "home"
    escaped_file, nohup_file = tmp_path / "setsid.pid", tmp_path / "nohup.pid"
    program = (
        'setsid sh -c \'echo $$ > "$0"; exec sleep 1000\' "$1" & '
        'nohup sh -c \'echo $$ > "$0"; exec sleep 1000\' "$2" > /dev/null 2>&1 & '
        'echo "leader=$$"; exec sleep 600'
    )
    first = start_server(home)
    unrelated = subprocess.Popen(["sleep", "1000"], env=command_env(home))
    foreign = sleeper(**{process.MARKER_ENV: "a-terminal-of-another-server"})
    leftovers: list[int] = []
    second = None
    try:
        with TerminalClient.of(first) as client:
            terminal_id = client.open(["sh", "-c", program, "sh", str(escaped_file), str(nohup_file)])
            [leader] = map(int, re.findall(r"leader=(\d+)", client.output_until(terminal_id, r"leader=\d+\r\n")))
            leftovers = [read_pid(escaped_file), read_pid(nohup_file)]
        first.stop(signal.SIGKILL)
        assert wait_until_gone([leader]) == []
        # The bug: hung up by the PTY's close, the leader went; these did not, and nobody knew them.
        assert not any(gone(pid) for pid in leftovers)

        second = start_server(home)
        deadline = time.monotonic() + LEFTOVERS_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not all(gone(pid) for pid in leftovers):
            time.sleep(0.05)
        assert [pid for pid in leftovers if not gone(pid)] == []
        assert not gone(unrelated.pid) and not gone(foreign.pid)

        def records() -> list[tuple[str, int]]:
            with sqlite3.connect(home / "db.sqlite3") as database:
                return database.execute("SELECT id, exited_at IS NOT NULL FROM workspace_terminalrecord").fetchall()

        # The record is marked once the processes are confirmed gone: a moment after the last one goes.
        assert eventually(lambda: records() == [(terminal_id, 1)], LEFTOVERS_TIMEOUT_SECONDS), records()
        assert "Traceback" not in second.output
    finally:
        end(leftovers)
        for started in (unrelated, foreign):
            started.kill()
            started.wait()
        for server in (first, second):
            if server is not None:
                server.stop()


USER_SIGNALS = sum(1 << (number - 1) for number in signal.valid_signals())


def test_a_terminal_of_a_server_started_under_nohup_gets_default_signal_handling(tmp_path):
    with started_as_nohup_does():
        server = start_server(tmp_path / "home")
    try:
        with open(f"/proc/{server.process.pid}/status") as status:
            inherited = signal_masks(status.read())
        # What the server was handed, so this test cannot pass with a server that never had it.
        assert inherited["SigIgn"] & (1 << (signal.SIGHUP - 1))
        assert inherited["SigBlk"] & (1 << (signal.SIGUSR1 - 1))

        with TerminalClient.of(server) as client:
            reader = client.open(["grep", "^Sig", "/proc/self/status"])
            masks = signal_masks(client.until_exit(reader).replace("\r\n", "\n"))
            # glibc keeps two signals (32, 33) for its threads and refuses to change them, from Python or C;
            # whatever the test process had there is not the server's doing. Every other signal is default.
            assert (masks["SigIgn"] & USER_SIGNALS, masks["SigBlk"] & USER_SIGNALS) == (0, 0)

            # Closed once it runs: until the launcher has reset them, the signals are as the server had them.
            sleeping = client.open(["sh", "-c", "echo running; exec sleep 600"])
            client.output_until(sleeping, "running")
            # Ended by the SIGHUP (128 + 1), not by the SIGKILL that follows the grace (128 + 9).
            assert client.call("terminal.close", terminalId=sleeping)["exitCode"] == 128 + signal.SIGHUP
    finally:
        server.stop()


@pytest.mark.django_db
def test_ending_leftovers_signals_only_processes_marked_by_a_terminal_whose_server_died(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    # Random ids, as terminals have: end_leftovers looks at every process of this user on the machine, and
    # fixed ones would match the sleepers of this same test run at the same time by another worker or checkout.
    orphaned = TerminalRecord.objects.create(id=uuid.uuid4().hex, cwd=str(tmp_path), pid=dead.pid, server_pid=dead.pid)
    live = TerminalRecord.objects.create(id=uuid.uuid4().hex, cwd=str(tmp_path), server_pid=os.getpid())
    left, kept, unmarked = (
        sleeper(**{process.MARKER_ENV: orphaned.id}),
        sleeper(**{process.MARKER_ENV: live.id}),
        sleeper(),
    )
    try:
        assert TerminalRecord.objects.end_leftovers() == 1
        # It ignored the SIGHUP, so it took the SIGKILL after the grace.
        assert left.wait(timeout=5) == -signal.SIGKILL
        assert not gone(kept.pid) and not gone(unmarked.pid)
        orphaned.refresh_from_db()
        live.refresh_from_db()
        assert orphaned.exited_at is not None and live.exited_at is None
    finally:
        for started in (left, kept, unmarked):
            started.kill()
            started.wait()


@pytest.mark.django_db
def test_a_terminal_whose_server_pid_now_belongs_to_a_newer_process_has_no_live_server(tmp_path):
    record = TerminalRecord.objects.create(id="old", cwd=str(tmp_path), pid=1, server_pid=os.getpid())
    assert record.server_alive()
    newer = subprocess.Popen(["sleep", "60"])
    try:
        record.created_at = record.created_at.replace(year=record.created_at.year - 1)
        record.server_pid = newer.pid
        assert not record.server_alive()
    finally:
        newer.kill()
        newer.wait()

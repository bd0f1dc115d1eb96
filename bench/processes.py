"""Start and stop the servers under test: free loopback ports, output in a log file, always stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench import httpclient

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20
POLL_SECONDS = 0.005
LOG_POLL_SECONDS = 0.02


def free_port() -> int:
    """Return a loopback port nothing listens on now (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind((httpclient.HOST, 0))
        return probe.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """Return this environment without t3site's, Django's or Jupyter's settings, plus ``extra``."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("T3SITE_", "JUPYTER_")) and name != "DJANGO_SETTINGS_MODULE"
    }
    return {**kept, "PYTHONUNBUFFERED": "1", "TERM": "xterm", **extra}


@dataclass
class Server:
    """A server process whose output goes to ``log``; ``started`` is when it was spawned."""

    name: str
    process: subprocess.Popen
    log: Path
    started: float

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_bytes(self) -> int:
        return psutil.Process(self.pid).memory_info().rss

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def failure(self, what: str) -> RuntimeError:
        tail = "\n".join(self.log_text().splitlines()[-30:])
        return RuntimeError(f"{self.name} {what}; the end of its output:\n{tail}")

    def stop(self) -> None:
        """Stop it with SIGTERM (SIGKILL after a while), then whatever it started and left behind."""
        try:
            descendants = psutil.Process(self.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            descendants = []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for child in descendants:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()


def spawn(name: str, command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Server:
    """Start ``command`` in a session of its own (a Ctrl+C reaches only the harness, which stops it)."""
    with log.open("ab") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    return Server(name, process, log, started)


async def wait_for_line(server: Server, pattern: str, timeout: float = START_TIMEOUT_SECONDS) -> re.Match:
    """Wait (bounded) until a line of the server's output matches ``pattern``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, server.log_text(), re.MULTILINE)
        if match:
            return match
        if server.process.poll() is not None:
            raise server.failure("exited")
        await asyncio.sleep(LOG_POLL_SECONDS)
    raise server.failure(f"printed no line matching {pattern!r} in {timeout} s")


async def wait_until_answered(
    server: Server,
    port: int,
    path: str,
    headers: dict[str, str],
    accept: Callable[[httpclient.Answer], bool],
    timeout: float = START_TIMEOUT_SECONDS,
) -> float:
    """Poll ``path`` until an answer is accepted; return the seconds since the server was spawned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise server.failure("exited")
        try:
            if accept(await httpclient.request(port, "GET", path, headers)):
                return time.perf_counter() - server.started
        except (OSError, asyncio.IncompleteReadError):
            pass  # not listening yet, or closed the connection while starting
        await asyncio.sleep(POLL_SECONDS)
    raise server.failure(f"gave no accepted answer on {path} in {timeout} s")


async def wait_until_listening(server: Server, port: int, timeout: float = START_TIMEOUT_SECONDS) -> None:
    """Wait (bounded) until ``port`` accepts a connection."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise server.failure("exited")
        try:
            _, writer = await asyncio.open_connection(httpclient.HOST, port)
        except OSError:
            await asyncio.sleep(POLL_SECONDS)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise server.failure(f"did not listen on port {port} in {timeout} s")

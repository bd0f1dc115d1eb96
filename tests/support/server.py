"""Run the real server (`manage.py serve`, daphne) and the real commands in subprocesses."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30
_LINE = re.compile(r"^(Connection string|Token|Pairing URL): (\S+)$")


def command_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("T3SITE_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"T3SITE_HOME": str(home), "PYTHONUNBUFFERED": "1"}, **extra)
    return env


def manage(home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60, input: str | None = None):
    """Run `python manage.py ARGS` against ``home`` and return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env or command_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )


@dataclass
class RunningServer:
    home: Path
    process: subprocess.Popen
    printed: dict[str, str]
    output: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.printed["Connection string"]

    @property
    def token(self) -> str:
        return self.printed["Token"]

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/ws"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.append(self.process.stdout.read() or "")
        return self.process.returncode


def start_server(home: Path, *args: str, env: dict[str, str] | None = None) -> RunningServer:
    """Start `manage.py serve --port 0 --no-qr ARGS` and wait (bounded) for its banner."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "serve", "--port", "0", "--no-qr", *args],
        cwd=ROOT,
        env=env or command_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    printed: dict[str, str] = {}
    lines: list[str] = []
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while len(printed) < 3 and time.monotonic() < deadline:
        if not selector.select(timeout=0.5):
            if process.poll() is not None:
                break
            continue
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = _LINE.match(line.strip())
        if match:
            printed[match.group(1)] = match.group(2)
    selector.close()
    if len(printed) < 3:
        process.kill()
        rest = process.stdout.read() or ""
        raise RuntimeError("serve did not start:\n" + "".join(lines) + rest)
    return RunningServer(home=home, process=process, printed=printed, output=lines)

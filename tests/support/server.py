"""Run the real server (`manage.py serve`, daphne) and the real commands in subprocesses."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
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


def add_project(
    home: Path, folder: Path, files: dict[str, str] | None = None, env: dict[str, str] | None = None
) -> Path:
    """Make ``folder`` with ``files`` (name: text) and add it as a project with `manage.py project add`, as a
    developer does from the workstation's shell; return the folder."""
    folder.mkdir(parents=True)
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    added = manage(home, "project", "add", str(folder), env=env)
    assert added.returncode == 0, added.stderr
    return folder


class OutputReader:
    """Drain a process's output on a thread (a full pipe would block the server), keeping every line."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._thread.start()

    def _drain(self, stream) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.lines.append("")  # end of output
            self._changed.notify_all()

    def wait_for(self, predicate, timeout: float) -> bool:
        """Wait (bounded) until ``predicate(lines)`` is true or the output ends."""
        with self._changed:
            return self._changed.wait_for(
                lambda: predicate(self.lines) or (self.lines and self.lines[-1] == ""), timeout=timeout
            ) and predicate(self.lines)

    def text(self) -> str:
        with self._changed:
            return "".join(self.lines)


def _banner(lines: list[str]) -> dict[str, str]:
    printed = {}
    for line in lines:
        match = _LINE.match(line.strip())
        if match:
            printed[match.group(1)] = match.group(2)
    return printed


@dataclass
class RunningServer:
    home: Path
    process: subprocess.Popen
    printed: dict[str, str]
    reader: OutputReader

    @property
    def base_url(self) -> str:
        return self.printed["Connection string"]

    @property
    def token(self) -> str:
        return self.printed["Token"]

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/ws"

    @property
    def output(self) -> str:
        return self.reader.text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.wait_for(lambda lines: lines and lines[-1] == "", timeout=5)
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
    reader = OutputReader(process.stdout)
    if not reader.wait_for(lambda lines: len(_banner(lines)) == 3, timeout=START_TIMEOUT_SECONDS):
        process.kill()
        process.wait()
        raise RuntimeError("serve did not start:\n" + reader.text())
    return RunningServer(home=home, process=process, printed=_banner(reader.lines), reader=reader)

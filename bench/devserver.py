"""What bench_socket and bench_terminal need from t3site, without the test suite's helpers.

`serve` starts `manage.py serve --port 0 --no-qr` with a throwaway T3SITE_HOME and reads its
banner; `manage` runs a command against that home; `http_json` is one HTTP request; `RpcClient`
is a sync JSON-RPC client on a `websockets` socket. 127.0.0.1 only; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.processes import STOP_TIMEOUT_SECONDS, clean_env

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 60
ANSWER_TIMEOUT_SECONDS = 10
_BANNER = re.compile(r"^(Connection string|Token): (\S+)$", re.MULTILINE)


@dataclass
class DevServer:
    home: Path
    process: subprocess.Popen
    base_url: str
    token: str

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/ws"


def manage(home: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `python manage.py ARGS` against ``home``."""
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT, env=clean_env(T3SITE_HOME=str(home)), capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@contextlib.contextmanager
def serve(home: Path) -> Iterator[DevServer]:
    """Run `manage.py serve` on a free loopback port for the with-block; stop it after."""
    log = home.parent / "serve.log"
    home.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "serve", "--port", "0", "--no-qr"],
            cwd=ROOT, env=clean_env(T3SITE_HOME=str(home)), stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while len(printed := dict(_BANNER.findall(log.read_text(errors="replace")))) < 2:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("serve did not start:\n" + log.read_text(errors="replace"))
            time.sleep(0.05)
        yield DevServer(home, process, printed["Connection string"], printed["Token"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def http_json(method: str, url: str, body=None, headers: dict[str, str] | None = None) -> dict:
    """Send one request (a JSON body if given) and return the JSON answer, whatever its status."""
    data = json.dumps(body).encode() if body is not None else None
    assert url.startswith("http://127.0.0.1:"), url
    headers = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - loopback http
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_TIMEOUT_SECONDS) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as exc:
        return json.load(exc)


class RpcClient:
    """A sync JSON-RPC client on a `websockets.sync` socket: numbered requests, a bounded wait for each answer."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + ANSWER_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            frame = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if frame.get("id") == self.next_id:
                if "result" not in frame:
                    raise RuntimeError(f"{method}: {frame}")
                return frame["result"]
        raise TimeoutError(method)

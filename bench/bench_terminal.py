"""Benchmark terminals over the real socket: bulk output throughput and keystroke echo under load.

Run: `.venv/bin/python -m bench.bench_terminal [--megabytes N] [--keys N]`. It starts `manage.py serve`
on a free loopback port with a throwaway T3SITE_HOME, opens real PTYs through /ws, prints figures,
and stops it. 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.http import request
from tests.support.server import start_server

SIZE = {"cols": 120, "rows": 40}
DEADLINE_SECONDS = 120


class Session:
    """One socket with a request counter and a bounded wait for frames."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            frame = json.loads(self.ws.recv(timeout=10))
            if frame.get("id") == self.next_id:
                return frame["result"]
        raise TimeoutError(method)


def bulk_output(session: Session, megabytes: int) -> tuple[float, int, int]:
    """Stream ``megabytes`` of output through one terminal; return (seconds, frames, characters)."""
    line = "x" * 99
    count = megabytes * 1024 * 1024 // 100
    command = ["python3", "-c", f"import sys\nfor _ in range({count}): sys.stdout.write({line!r} + '\\n')"]
    started = time.perf_counter()
    terminal = session.call("terminal.open", command=command, **SIZE)["terminalId"]
    frames = characters = 0
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        frame = json.loads(session.ws.recv(timeout=30))
        params = frame.get("params", {})
        if params.get("terminalId") != terminal:
            continue
        if frame.get("method") == "terminal.output":
            frames += 1
            characters += len(params["data"])
        elif frame.get("method") == "terminal.exit":
            break
    return time.perf_counter() - started, frames, characters


def echo_latency(server, headers: dict, keys: int, flood: bool) -> list[float]:
    """Type ``keys`` characters into a `cat` terminal and time each echo, optionally during a flood."""
    with contextlib.ExitStack() as stack:
        ws = stack.enter_context(connect(server.ws_url, additional_headers=headers, max_size=None))
        session = Session(ws)
        terminal = session.call("terminal.open", command=["cat"], **SIZE)["terminalId"]
        if flood:
            # A second socket whose terminal prints without end, read as fast as it comes.
            flood_ws = stack.enter_context(connect(server.ws_url, additional_headers=headers, max_size=None))
            Session(flood_ws).call("terminal.open", command=["yes", "flood"], **SIZE)
            stop = threading.Event()
            stack.callback(stop.set)
            threading.Thread(target=_drain, args=(flood_ws, stop), daemon=True).start()
        samples = []
        for index in range(keys):
            key = "abcdefghij"[index % 10]
            started = time.perf_counter()
            write = {"terminalId": terminal, "data": key}
            ws.send(json.dumps({"jsonrpc": "2.0", "id": 10_000 + index, "method": "terminal.write", "params": write}))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                frame = json.loads(ws.recv(timeout=5))
                if frame.get("method") == "terminal.output" and key in frame["params"]["data"]:
                    samples.append((time.perf_counter() - started) * 1000)
                    break
        return samples


def _drain(ws, stop: threading.Event) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            ws.recv(timeout=1)
        except (TimeoutError, ConnectionClosed):
            return


def stalled_reader(server, headers: dict, megabytes: int) -> tuple[float, float, float]:
    """Produce ``megabytes`` for a socket that stops reading; return (seconds, RSS before, RSS peak) in MiB."""
    process = psutil.Process(server.process.pid)
    with (
        connect(server.ws_url, additional_headers=headers, max_queue=1, max_size=None) as stalled,
        connect(server.ws_url, additional_headers=headers, max_size=None) as watcher_ws,
    ):
        watcher = Session(watcher_ws)
        baseline = peak = process.memory_info().rss
        command = f"yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c {megabytes * 2**20}"
        started = time.perf_counter()
        terminal = Session(stalled).call("terminal.open", command=command, **SIZE)["terminalId"]
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            peak = max(peak, process.memory_info().rss)
            listed = {t["terminalId"]: t for t in watcher.call("terminal.list")["terminals"]}
            if listed[terminal]["exited"]:
                break
            time.sleep(0.1)
        return time.perf_counter() - started, baseline / 2**20, peak / 2**20


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms, max {ordered[-1]:.2f} ms (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=20, help="bulk output to stream")
    parser.add_argument("--keys", type=int, default=200, help="keystrokes to time")
    parser.add_argument("--stalled-megabytes", type=int, default=320, help="output for a socket that stops reading")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="t3site-bench-") as tmp:
        server = start_server(Path(tmp) / "home")
        try:
            token = request("POST", f"{server.base_url}/api/auth/pair", {"token": server.token, "mode": "bearer"})
            headers = {"Authorization": f"Bearer {token.json['sessionToken']}"}
            with connect(server.ws_url, additional_headers=headers, max_size=None) as ws:
                seconds, frames, characters = bulk_output(Session(ws), args.megabytes)
            mib = characters / 2**20
            print(
                f"bulk output: {mib:.1f} MiB in {seconds:.2f} s = {mib / seconds:.1f} MiB/s, "
                f"{frames} frames (avg {characters / max(frames, 1) / 1024:.1f} KiB)"
            )
            print(f"keystroke echo, idle:            {summary(echo_latency(server, headers, args.keys, flood=False))}")
            print(f"keystroke echo, during a flood:  {summary(echo_latency(server, headers, args.keys, flood=True))}")
            seconds, before, peak = stalled_reader(server, headers, args.stalled_megabytes)
            print(
                f"stalled reader: {args.stalled_megabytes} MiB produced in {seconds:.1f} s, "
                f"server RSS {before:.0f} MiB -> peak {peak:.0f} MiB"
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()

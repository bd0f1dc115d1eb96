"""Benchmark terminals over the real socket: bulk output throughput, keystroke echo under load, a stalled reader.

Run: `.venv/bin/python -m bench.bench_terminal [--megabytes N] [--keys N] [--stalled-megabytes N]`. It starts
`manage.py serve` on a free loopback port with a throwaway T3SITE_HOME, opens real PTYs through /ws, prints
figures, and stops it; it exits 1 if a socket that stops reading 320 MiB (the default) grows the server by
150 MiB or more or is not detached as 'too far behind' (the test suite checks the same with 32 MiB).
127.0.0.1 only; every loop is bounded in count and time.
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

from bench.devserver import RpcClient, http_json, serve

SIZE = {"cols": 120, "rows": 40}
DEADLINE_SECONDS = 120
# The server's growth while a socket that stops reading is sent this much output: bounded by the socket's backlog
# limit (8 MiB) and the PTY's pending buffer, not by the output (Twisted alone took 560 MB for 600 MB before the fix).
STALLED_RSS_GROWTH_LIMIT_MIB = 150


def bulk_output(session: RpcClient, megabytes: int) -> tuple[float, int, int]:
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
        session = RpcClient(ws)
        terminal = session.call("terminal.open", command=["cat"], **SIZE)["terminalId"]
        if flood:
            # A second socket whose terminal prints without end, read as fast as it comes.
            flood_ws = stack.enter_context(connect(server.ws_url, additional_headers=headers, max_size=None))
            RpcClient(flood_ws).call("terminal.open", command=["yes", "flood"], **SIZE)
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


def stalled_reader(server, headers: dict, megabytes: int) -> tuple[float, float, float, dict]:
    """Produce ``megabytes`` for a socket that stops reading.

    Return (seconds, RSS before, RSS peak) in MiB, and the ``terminal.detached`` params the stalled
    socket finds once it reads again.
    """
    process = psutil.Process(server.process.pid)
    with (
        # No client pings: a reader that stops cannot read the pong, and would close its own socket.
        connect(server.ws_url, additional_headers=headers, max_queue=1, max_size=None, ping_interval=None) as stalled,
        connect(server.ws_url, additional_headers=headers, max_size=None) as watcher_ws,
    ):
        watcher = RpcClient(watcher_ws)
        baseline = peak = process.memory_info().rss
        command = f"yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c {megabytes * 2**20}"
        started = time.perf_counter()
        terminal = RpcClient(stalled).call("terminal.open", command=command, **SIZE)["terminalId"]
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            peak = max(peak, process.memory_info().rss)
            listed = {t["terminalId"]: t for t in watcher.call("terminal.list")["terminals"]}
            if listed[terminal]["exited"]:
                break
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        peak = max(peak, process.memory_info().rss)
        detached = {}
        while time.monotonic() < deadline and not detached:
            frame = json.loads(stalled.recv(timeout=10))
            if frame.get("method") == "terminal.detached":
                detached = frame["params"]
        return seconds, baseline / 2**20, peak / 2**20, detached


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms, max {ordered[-1]:.2f} ms (n={len(ordered)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=20, help="bulk output to stream")
    parser.add_argument("--keys", type=int, default=200, help="keystrokes to time")
    parser.add_argument("--stalled-megabytes", type=int, default=320, help="output for a socket that stops reading")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="t3site-bench-") as tmp, serve(Path(tmp) / "home") as server:
        token = http_json("POST", f"{server.base_url}/api/auth/pair", {"token": server.token, "mode": "bearer"})
        headers = {"Authorization": f"Bearer {token['sessionToken']}"}
        with connect(server.ws_url, additional_headers=headers, max_size=None) as ws:
            seconds, frames, characters = bulk_output(RpcClient(ws), args.megabytes)
        mib = characters / 2**20
        print(
            f"bulk output: {mib:.1f} MiB in {seconds:.2f} s = {mib / seconds:.1f} MiB/s, "
            f"{frames} frames (avg {characters / max(frames, 1) / 1024:.1f} KiB)"
        )
        print(f"keystroke echo, idle:            {summary(echo_latency(server, headers, args.keys, flood=False))}")
        print(f"keystroke echo, during a flood:  {summary(echo_latency(server, headers, args.keys, flood=True))}")
        seconds, before, peak, detached = stalled_reader(server, headers, args.stalled_megabytes)
        print(
            f"stalled reader: {args.stalled_megabytes} MiB produced in {seconds:.1f} s, "
            f"server RSS {before:.0f} MiB -> peak {peak:.0f} MiB, detached: {detached.get('reason')!r}"
        )
        if peak - before >= STALLED_RSS_GROWTH_LIMIT_MIB or detached.get("reason") != "too far behind":
            print(f"FAILED: the server grew {STALLED_RSS_GROWTH_LIMIT_MIB} MiB or more, or did not detach the reader")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

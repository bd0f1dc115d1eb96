"""Benchmark the real server: pairing exchanges, socket handshakes and JSON-RPC round trips.

Run: `.venv/bin/python -m bench.bench_socket [--pairs N] [--calls N]`. It starts `manage.py serve`
on a free loopback port with a throwaway T3SITE_HOME, measures, prints figures, and stops it.
Everything talks to 127.0.0.1 only, and every loop is bounded.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import psutil
from websockets.sync.client import connect

from bench.devserver import http_json, manage, serve


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms, max {ordered[-1]:.2f} ms (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=50, help="pairing exchanges to time")
    parser.add_argument("--calls", type=int, default=2000, help="JSON-RPC round trips to time")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="t3site-bench-") as tmp, serve(Path(tmp) / "home") as server:
        home = server.home
        process = psutil.Process(server.process.pid)
        rss_idle = process.memory_info().rss

        tokens = [
            json.loads(manage(home, "auth", "pairing", "create", "--json", "--ttl", "1h").stdout)["token"]
            for _ in range(args.pairs)
        ]
        pair_ms, session_token = [], None
        for token in tokens:
            started = time.perf_counter()
            reply = http_json("POST", f"{server.base_url}/api/auth/pair", {"token": token, "mode": "bearer"})
            pair_ms.append((time.perf_counter() - started) * 1000)
            session_token = reply["sessionToken"]
        headers = {"Authorization": f"Bearer {session_token}"}

        connect_ms = []
        for _ in range(args.pairs):
            started = time.perf_counter()
            ticket = http_json("POST", f"{server.base_url}/api/auth/ws-ticket", headers=headers)["ticket"]
            with connect(f"{server.ws_url}?ticket={ticket}") as ws:
                ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "server.probe"}))
                ws.recv(timeout=5)
            connect_ms.append((time.perf_counter() - started) * 1000)

        call_ms = []
        with connect(server.ws_url, additional_headers=headers) as ws:
            started_all = time.perf_counter()
            for request_id in range(args.calls):
                started = time.perf_counter()
                ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "server.probe"}))
                ws.recv(timeout=5)
                call_ms.append((time.perf_counter() - started) * 1000)
            elapsed = time.perf_counter() - started_all
        rss_after = process.memory_info().rss

        print(f"pairing exchange (HTTP, bearer):  {percentiles(pair_ms)}")
        print(f"ticket + socket + first probe:    {percentiles(connect_ms)}")
        rate = args.calls / elapsed
        print(f"server.probe round trip:          {percentiles(call_ms)}; {rate:.0f} calls/s sequential")
        print(f"server RSS: {rss_idle / 2**20:.1f} MiB idle, {rss_after / 2**20:.1f} MiB after the run")


if __name__ == "__main__":
    main()

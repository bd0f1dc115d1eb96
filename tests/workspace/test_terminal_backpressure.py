"""Terminal output against real daphne: a reader that stops cannot grow the server; a reader that reads gets it all."""

from __future__ import annotations

import json
import time

import psutil
import pytest
from websockets.sync.client import connect

from tests.support.e2e import call
from tests.support.server import manage

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = {"cols": 120, "rows": 40}
# Four times the socket's backlog limit (workspace.terminals.terminal.SOCKET_BACKLOG_LIMIT_CHARS) and past the TCP
# buffers: a server that kept what it could not send would grow by about this much (Twisted alone took 560 MB for
# 600 MB of output before the fix), so half of it is the limit; 3 MB was measured. `python -m bench.bench_terminal`
# runs the 320 MiB version.
OUTPUT_BYTES = 32 * 1024 * 1024
RSS_GROWTH_LIMIT_BYTES = OUTPUT_BYTES // 2
RUN_TIMEOUT_SECONDS = 120.0
FRAME_TIMEOUT_SECONDS = 10.0


def _headers(server) -> dict[str, str]:
    issued = json.loads(manage(server.home, "auth", "session", "issue", "--json").stdout)
    return {"Authorization": f"Bearer {issued['sessionToken']}"}


def _exited(ws, terminal_id: str) -> bool:
    terminals = {t["terminalId"]: t for t in call(ws, "terminal.list")["terminals"]}
    return terminals[terminal_id]["exited"]


def test_a_socket_that_stops_reading_keeps_the_server_small_and_is_detached(server):
    headers = _headers(server)
    server_process = psutil.Process(server.process.pid)
    # max_queue=1: the client library stops reading the TCP socket as soon as one frame is unread.
    with (
        connect(server.ws_url, additional_headers=headers, max_queue=1, max_size=None) as stalled,
        connect(server.ws_url, additional_headers=headers, max_size=None) as watcher_ws,
    ):
        baseline = server_process.memory_info().rss
        command = f"yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c {OUTPUT_BYTES}"
        terminal_id = call(stalled, "terminal.open", command=command, **SIZE)["terminalId"]
        peak = baseline
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while not _exited(watcher_ws, terminal_id):
            assert time.monotonic() < deadline, "the program did not finish"
            peak = max(peak, server_process.memory_info().rss)
            time.sleep(0.1)
        peak = max(peak, server_process.memory_info().rss)
        print(f"server RSS {baseline / 2**20:.0f} MB -> peak {peak / 2**20:.0f} MB for {OUTPUT_BYTES >> 20} MB")
        assert peak - baseline < RSS_GROWTH_LIMIT_BYTES

        # Reading again, the stalled socket finds out it was dropped, and may attach for the scrollback.
        frames = []
        while not any(frame.get("method") == "terminal.detached" for frame in frames):
            frames.append(json.loads(stalled.recv(timeout=FRAME_TIMEOUT_SECONDS)))
        assert frames[-1]["params"] == {"terminalId": terminal_id, "reason": "too far behind"}
        attached = call(stalled, "terminal.attach", terminalId=terminal_id)
        assert attached["exited"] and "0123456789abcdefghijklmnopqrstuvwxyz\r\n" in attached["scrollback"][-1000:]


def test_a_socket_that_reads_gets_a_fast_programs_output_complete_and_in_order(server):
    lines = 400_000
    with connect(server.ws_url, additional_headers=_headers(server), max_size=None) as ws:
        command = ["python3", "-c", f"import sys\nfor n in range({lines}): sys.stdout.write(f'{{n:09d}}\\n')"]
        terminal_id = call(ws, "terminal.open", command=command, **SIZE)["terminalId"]
        output = []
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while True:
            frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if frame.get("method") == "terminal.output":
                output.append(frame["params"]["data"])
            elif frame.get("method") == "terminal.exit":
                break
            else:
                assert frame.get("method") != "terminal.detached", frame
    assert frame["params"] == {"terminalId": terminal_id, "exitCode": 0}
    assert "".join(output).split("\r\n") == [f"{n:09d}" for n in range(lines)] + [""]

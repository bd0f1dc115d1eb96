"""Steps shared by end-to-end tests against a real server: pair a device, call a method (the sync /ws client)."""

from __future__ import annotations

import itertools
import json
import time

from tests.support.http import request

# docs/contract.md §3: a revoked session's sockets close within 2 seconds, whoever revoked it.
REVOCATION_DEADLINE_SECONDS = 2
ANSWER_TIMEOUT_SECONDS = 10

_request_ids = itertools.count(1)


def pair_bearer(server, token=None, label="e2e") -> dict:
    """Exchange ``token`` (default: the one `serve` printed) in bearer mode and return the answer."""
    reply = request(
        "POST", f"{server.base_url}/api/auth/pair", {"token": token or server.token, "mode": "bearer", "label": label}
    )
    assert reply.status == 200, reply.body
    return reply.json


def rpc(ws, method, params=None, request_id=1):
    """Send one JSON-RPC request on a sync websockets client and return the next frame."""
    ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}}))
    return json.loads(ws.recv(timeout=5))


def ask(ws, method: str, params=None, request_id=None, timeout: float = ANSWER_TIMEOUT_SECONDS) -> dict:
    """Send one request on a sync websockets client; return its whole response frame, skipping notifications."""
    request_id = next(_request_ids) if request_id is None else request_id
    ws.send(
        json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": {} if params is None else params})
    )
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if "method" not in frame and frame.get("id") == request_id:
            return frame


def call(ws, method: str, **params):
    """Send one request on a sync websockets client and return its result (failing on an error)."""
    frame = ask(ws, method, params)
    assert "result" in frame, frame
    return frame["result"]

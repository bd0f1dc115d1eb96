"""Steps shared by end-to-end tests against a real server: pair a device, call a method."""

from __future__ import annotations

import json

from tests.support.http import request

# docs/contract.md §3: a revoked session's sockets close within 2 seconds, whoever revoked it.
REVOCATION_DEADLINE_SECONDS = 2


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

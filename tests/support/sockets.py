"""Drive /ws in-process with Channels' WebsocketCommunicator."""

from __future__ import annotations

import asyncio
import json

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection

from t3site.asgi import application

FRAME_TIMEOUT_SECONDS = 5


def communicator(
    query: str = "", headers: list[tuple[bytes, bytes]] | None = None, path: str = "/ws"
) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"{path}{query}", headers=[(b"host", b"testserver"), *(headers or [])])


def bearer(token: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {token}".encode())]


async def close_code(comm: WebsocketCommunicator, timeout: float = FRAME_TIMEOUT_SECONDS) -> int:
    """Return the close code the server sends next (failing if it sends a frame instead)."""
    message = await comm.receive_output(timeout)
    assert message["type"] == "websocket.close", message
    return message["code"]


async def call(comm: WebsocketCommunicator, method: str, params: dict | None = None, request_id: int = 1) -> dict:
    """Send one JSON-RPC request and return its response, skipping notifications."""
    await comm.send_to(
        text_data=json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}})
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FRAME_TIMEOUT_SECONDS
    while loop.time() < deadline:
        frame = json.loads(await comm.receive_from(max(0.1, deadline - loop.time())))
        if frame.get("id") == request_id:
            return frame
    raise AssertionError(f"no response to {method}")


def run(scenario):
    """Run an async test scenario to the end, then close this thread's database connection."""
    try:
        return asyncio.run(scenario)
    finally:
        connection.close()


async def open_socket(device) -> WebsocketCommunicator:
    """Return a connected communicator authenticated as ``device`` (with a fresh ticket)."""
    from pairing.models import WebSocketTicket

    _, ticket = await database_sync_to_async(WebSocketTicket.objects.issue)(device.session)
    comm = communicator(f"?ticket={ticket}")
    connected, _ = await comm.connect()
    assert connected
    return comm


def calls(device, *requests: tuple[str, dict]) -> list[dict]:
    """Run ``(method, params)`` requests in order on one socket; return each one's result or error."""

    async def scenario():
        comm = await open_socket(device)
        try:
            frames = [await call(comm, method, params) for method, params in requests]
        finally:
            await comm.disconnect()
        return [frame.get("result", frame.get("error")) for frame in frames]

    return run(scenario())

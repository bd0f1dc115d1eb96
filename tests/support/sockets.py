"""Drive /ws in-process with Channels' WebsocketCommunicator."""

from __future__ import annotations

import asyncio
import itertools
import json
import time

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


class Socket:
    """The async /ws client in-process: a call waits for its answer; notifications met on the way are kept, in order."""

    frame_timeout: float = FRAME_TIMEOUT_SECONDS

    def __init__(self, comm: WebsocketCommunicator) -> None:
        self.comm = comm
        self.pending: list[dict] = []
        self._ids = itertools.count(1)
        self._answers: dict[int, dict] = {}

    @classmethod
    async def open(cls, device):
        """Return a socket connected with ``device``'s bearer token."""
        comm = communicator(headers=bearer(device.token))
        connected, _ = await comm.connect(timeout=cls.frame_timeout)
        assert connected
        return cls(comm)

    async def close(self) -> None:
        await self.comm.disconnect()

    async def send(self, method: str, **params) -> int:
        """Send a request without waiting for its answer; return its id (for ``answer``)."""
        request_id = next(self._ids)
        await self.comm.send_to(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
        return request_id

    async def answer(self, request_id: int) -> dict:
        """Return the answer to request ``request_id``, keeping the notifications that come first."""
        deadline = time.monotonic() + self.frame_timeout
        while request_id not in self._answers:
            self._take(await self._frame(deadline))
        return self._answers.pop(request_id)

    async def request(self, method: str, **params) -> dict:
        """Return the whole answer frame (result or error) to one request."""
        return await self.answer(await self.send(method, **params))

    async def call(self, method: str, **params):
        frame = await self.request(method, **params)
        assert "result" in frame, frame
        return frame["result"]

    async def error(self, method: str, **params) -> dict:
        frame = await self.request(method, **params)
        assert "error" in frame, frame
        return frame["error"]

    async def next_frame(self, wanted, deadline: float | None = None) -> dict:
        """Return the next notification for which ``wanted(frame)`` holds; keep the others for later."""
        deadline = deadline if deadline is not None else time.monotonic() + self.frame_timeout
        while True:
            for index, frame in enumerate(self.pending):
                if wanted(frame):
                    return self.pending.pop(index)
            self._take(await self._frame(deadline))

    async def _frame(self, deadline: float) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no frame before the deadline; kept: {self.pending}")
        return json.loads(await self.comm.receive_from(timeout=remaining))

    def _take(self, frame: dict) -> None:
        if "id" in frame:
            self._answers[frame["id"]] = frame
        else:
            self.pending.append(frame)

"""The one WebSocket client both servers meet: `websockets`, with the same options for every socket.

No compression (neither server is asked to spend CPU on deflate, and a browser's offer would be
accepted or not depending on the server, which is not what is measured here), no client pings (the
idle-socket test must stay idle), and no message size limit (a 1 MiB `files.read` is one frame).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import deque

from websockets.asyncio.client import ClientConnection, connect

ANSWER_TIMEOUT_SECONDS = 15
CLIENT_OPTIONS = {
    "compression": None,
    "max_size": None,
    "ping_interval": None,
    "open_timeout": 15,
    "close_timeout": 2,
}


async def open_socket(url: str, headers: dict[str, str] | None = None) -> ClientConnection:
    return await connect(url, additional_headers=headers, **CLIENT_OPTIONS)


class RpcError(RuntimeError):
    pass


class RpcSocket:
    """A t3site `/ws` connection: numbered requests, and the notifications met meanwhile kept in order."""

    def __init__(self, websocket: ClientConnection) -> None:
        self.websocket = websocket
        self._ids = itertools.count(1)
        self._notifications: deque[dict] = deque()

    @classmethod
    async def open(cls, url: str, headers: dict[str, str] | None = None) -> RpcSocket:
        return cls(await open_socket(url, headers))

    async def send(self, method: str, **params) -> int:
        """Send a request (with an id, as the web client does) without waiting for its answer."""
        request_id = next(self._ids)
        await self.websocket.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
        return request_id

    async def call(self, method: str, **params):
        """Send a request and return its result; notifications that arrive first are kept."""
        request_id = await self.send(method, **params)
        async with asyncio.timeout(ANSWER_TIMEOUT_SECONDS):
            while True:
                frame = json.loads(await self.websocket.recv())
                if frame.get("id") == request_id:
                    if "error" in frame:
                        raise RpcError(f"{method}: {frame['error']}")
                    return frame["result"]
                if "method" in frame:
                    self._notifications.append(frame)

    async def notification(self) -> dict:
        """Return the next notification, skipping the answers of requests sent with `send`."""
        if self._notifications:
            return self._notifications.popleft()
        async with asyncio.timeout(ANSWER_TIMEOUT_SECONDS):
            while True:
                frame = json.loads(await self.websocket.recv())
                if "method" in frame:
                    return frame

    async def close(self) -> None:
        await self.websocket.close()

"""One HTTP/1.1 client for every server the benchmark meets: raw asyncio streams, keep-alive.

t3site, Jupyter Server and the minimal server all meet this same code, so a difference in the
figures is the server's, not the client library's. It speaks only what the benchmark needs: a
request with an optional JSON body to 127.0.0.1, and an answer framed by Content-Length or by
chunked transfer encoding.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

HOST = "127.0.0.1"
# Issue 12's "16 concurrent": the HTTP load and the pairing exchanges use this many connections.
CONNECTIONS = 16
ANSWER_TIMEOUT_SECONDS = 15
# Bounds a load run in count as well as in time, whatever the server's speed.
MAX_REQUESTS_PER_CONNECTION = 1_000_000
WARM_UP_REQUESTS = 3


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class Connection:
    """A keep-alive connection to one loopback port; one request at a time."""

    def __init__(self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.port = port
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(port, reader, writer)

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None, body=None) -> Answer:
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if body is not None or method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(payload)}")
        if body is not None:
            lines.append("Content-Type: application/json")
        lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        # asyncio.timeout, not wait_for: no task per request, which would show in the minimal server's rate.
        async with asyncio.timeout(ANSWER_TIMEOUT_SECONDS):
            return await self._answer()

    async def _answer(self) -> Answer:
        head = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = {}
        for line in head[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self._reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        else:
            body = b""
        return Answer(status, headers, body)

    async def _chunked(self) -> bytes:
        pieces = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")  # no trailers are sent to this client
                return b"".join(pieces)
            pieces.append((await self._reader.readexactly(size + 2))[:-2])

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()


async def request(port: int, method: str, path: str, headers: dict[str, str] | None = None, body=None) -> Answer:
    """Send one request on a connection of its own."""
    connection = await Connection.open(port)
    try:
        return await connection.request(method, path, headers, body)
    finally:
        await connection.close()


@dataclass
class Load:
    """What a load run saw: every latency and every status."""

    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds


async def load(port: int, path: str, headers: dict[str, str], connections: int, seconds: float) -> Load:
    """GET ``path`` on ``connections`` keep-alive connections in parallel for ``seconds``."""
    pool = [await Connection.open(port) for _ in range(connections)]
    try:
        for connection in pool:  # first requests (lazy imports, caches) are not what is measured
            for _ in range(WARM_UP_REQUESTS):
                await connection.request("GET", path, headers)
        started = time.perf_counter()
        result = Load(seconds=0.0)
        deadline = started + seconds

        async def worker(connection: Connection) -> None:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                before = time.perf_counter()
                if before >= deadline:
                    return
                answer = await connection.request("GET", path, headers)
                result.latencies_ms.append((time.perf_counter() - before) * 1000)
                result.statuses[answer.status] += 1

        await asyncio.gather(*(worker(connection) for connection in pool))
        result.seconds = time.perf_counter() - started
        return result
    finally:
        await asyncio.gather(*(connection.close() for connection in pool))


async def send_all(
    port: int, requests: Sequence[tuple[str, str, dict[str, str], object]], connections: int
) -> tuple[list[Answer], float]:
    """Send ``requests`` (method, path, headers, body) over a pool; return the answers in order and the seconds."""
    pool = [await Connection.open(port) for _ in range(min(connections, len(requests)))]
    answers_by_index: dict[int, Answer] = {}
    queue = iter(enumerate(requests))
    try:
        started = time.perf_counter()

        async def worker(connection: Connection) -> None:
            for index, (method, path, headers, body) in queue:
                answers_by_index[index] = await connection.request(method, path, headers, body)

        await asyncio.gather(*(worker(connection) for connection in pool))
        seconds = time.perf_counter() - started
        return [answers_by_index[index] for index in range(len(requests))], seconds
    finally:
        await asyncio.gather(*(connection.close() for connection in pool))

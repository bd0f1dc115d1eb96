"""WebSocket workloads: connect + auth + first answer, and what an idle socket costs the server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from websockets.asyncio.client import ClientConnection

from bench import httpclient
from bench.processes import Server

Connect = Callable[[], Awaitable[ClientConnection]]
# As many handshakes in flight as the HTTP test has connections: enough to be quick, not a flood.
OPENING_CONCURRENCY = httpclient.CONNECTIONS


async def connect_ms(connect: Connect, count: int) -> list[float]:
    """Open ``count`` sockets one after another; return each one's time to its first answer, in ms."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        websocket = await connect()
        samples.append((time.perf_counter() - started) * 1000)
        await websocket.close()
    return samples


async def idle_memory(connect: Connect, server: Server, count: int, settle_seconds: float) -> tuple[int, int, int]:
    """Return the server's RSS in bytes before ``count`` idle sockets, with them open, and once they are closed.

    One socket is opened and closed first, so what a server sets up once, for its first socket
    (lazy imports, a watcher), is not spread over the others. RSS is read after ``settle_seconds``
    of quiet each time, so what is counted is what the sockets hold, not a request still handled.
    RSS moves in pages: a few sockets' figures are noise; read them with hundreds.
    """
    await (await connect()).close()
    await asyncio.sleep(settle_seconds)
    before = server.rss_bytes()
    sockets: list[ClientConnection] = []
    try:
        for start in range(0, count, OPENING_CONCURRENCY):
            batch = min(OPENING_CONCURRENCY, count - start)
            opened_now = await asyncio.gather(*(connect() for _ in range(batch)), return_exceptions=True)
            sockets.extend(websocket for websocket in opened_now if not isinstance(websocket, BaseException))
            failures = [failure for failure in opened_now if isinstance(failure, BaseException)]
            if failures:
                raise failures[0]
        await asyncio.sleep(settle_seconds)
        opened = server.rss_bytes()
    finally:
        await asyncio.gather(*(websocket.close() for websocket in sockets))
    await asyncio.sleep(settle_seconds)
    return before, opened, server.rss_bytes()

"""The machine's own limits: the smallest servers that answer the benchmark's clients.

Run by the harness as `python -m bench.minimal http|ws PORT`, in a process of its own (as t3site
and Jupyter run), on 127.0.0.1 only. What they reach with the same client on the same machine in
the same run is the ceiling the two real servers are read against.
"""

from __future__ import annotations

import argparse
import asyncio

from websockets.asyncio.server import serve

from bench.httpclient import HOST

BODY = b'{"authenticated": true}'
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


async def answer_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on a keep-alive connection with the same small JSON (bodies are not sent to it)."""
    try:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(ANSWER)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def echo(websocket) -> None:
    """Send every message back: the first answer of the connect test."""
    async for message in websocket:
        await websocket.send(message)


async def main(kind: str, port: int) -> None:
    if kind == "http":
        server = await asyncio.start_server(answer_http, HOST, port)
        await server.serve_forever()
    else:
        async with serve(echo, HOST, port, compression=None, max_size=None) as server:
            await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["http", "ws"])
    parser.add_argument("port", type=int)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.kind, arguments.port))

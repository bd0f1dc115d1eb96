"""The fixed stack's floor: daphne + Channels + Django with nothing of t3site's, for `make bench`.

Issue 12 keeps daphne (Twisted's HTTP, autobahn's WebSocket), Channels and Django. This is the
least a server on that stack can do for the benchmark's clients, so the table can show which of
the issue's targets the stack itself allows. The harness runs it as

    DJANGO_SETTINGS_MODULE=bench.floor_settings python -m daphne -b 127.0.0.1 -p PORT -v 0 \
        --websocket_timeout -1 bench.floor_app:application

(stock daphne, its access log off with -v 0). A Channels ProtocolTypeRouter with

- http: any path, through URLRouter, to a plain Channels ``AsyncHttpConsumer`` answering a
  constant small JSON body (the minimal HTTP server's body);
- websocket: ``/ws``, through URLRouter, to an ``AsyncWebsocketConsumer`` that accepts and sends
  back every text frame (the connect test's first answer).

No middleware, no database, no channel layer (bench/floor_settings.py). Both consumers skip
Channels' database-thread round trip before a request, a handshake and a frame, as t3site's own
fast routes and sockets do (pairing.fast, DeviceConsumer.dispatch): with no database it closes
nothing, and a floor that kept it would sit above what t3site already does.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.floor_settings")
django.setup()

from channels.generic.http import AsyncHttpConsumer  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path, re_path  # noqa: E402

BODY = b'{"authenticated": true}'
HEADERS = [(b"Content-Type", b"application/json"), (b"Content-Length", b"%d" % len(BODY))]


class ConstantJson(AsyncHttpConsumer):
    """Answer every request with the same small JSON body."""

    async def dispatch(self, message: dict) -> None:
        if message["type"] == "http.request":
            await self.http_request(message)  # no database-thread round trip first (see above)
        else:
            await super().dispatch(message)

    async def handle(self, body: bytes) -> None:
        await self.send_response(200, BODY, headers=HEADERS)


class Echo(AsyncWebsocketConsumer):
    """Accept, then send every text frame back."""

    async def dispatch(self, message: dict) -> None:
        if message["type"] == "websocket.receive":
            await self.websocket_receive(message)
        elif message["type"] == "websocket.connect":
            await self.websocket_connect(message)
        else:
            await super().dispatch(message)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if text_data is not None:
            await self.send(text_data=text_data)


application = ProtocolTypeRouter(
    {
        "http": URLRouter([re_path(r"", ConstantJson.as_asgi())]),
        "websocket": URLRouter([path("ws", Echo.as_asgi())]),
    }
)

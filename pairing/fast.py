"""The hot auth routes, answered by Channels ahead of Django's ASGI handler (issue 12).

``GET /api/auth/session``, ``POST /api/auth/ws-ticket`` and ``POST /api/auth/pair`` are asked
for on every page load and socket. Django's ASGI handler gives each request a thread of its own
(started, then retired), which costs more than the answer. Here the request is the same Django
request, run through the same middleware chain (every origin, cookie, CORS, no-store and CSP
rule), the same URL resolver and the same views and error handlers, by Django's own
``BaseHandler`` in its sync mode, without that per-request thread:

- in the event loop itself when no database is needed: the session answer of a token resolved
  in the last second (pairing.resolved) whose expiry needs no touch, a preflight. Django
  refuses a query from the loop (SynchronousOnlyOperation), so a mistake here fails loudly
  instead of blocking every socket;
- otherwise in the database thread, as a socket's queries run.

Revocation is seen at once: every revocation in this process drops pairing.resolved's cache.
"""

from __future__ import annotations

import io

from channels.db import database_sync_to_async
from channels.generic.http import AsyncHttpConsumer
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.urls import path, set_script_prefix

from pairing import auth
from pairing.resolved import cached_session, is_miss
from t3site import clock

# The routes served here; pairing/urls.py maps the same paths to the same views for Django's
# test client and anything that calls Django directly.
FAST_PATHS = ("api/auth/session", "api/auth/ws-ticket", "api/auth/pair")
# Of those, the one that can be answered without the database.
_FROM_MEMORY_PATH = "/api/auth/session"

_handler: BaseHandler | None = None


def _django() -> BaseHandler:
    """Return Django's request handler with settings.MIDDLEWARE loaded in sync mode (once)."""
    global _handler
    if _handler is None:
        handler = BaseHandler()
        handler.load_middleware(is_async=False)
        _handler = handler
    return _handler


def _respond(request: ASGIRequest):
    """Run the request through Django as its handler would, and close the response (its signal)."""
    response = _django().get_response(request)
    response.close()
    # The middlewares tie a request into reference cycles (the messages storage holds it, the
    # lazy user's closure holds it), so it would wait for the cycle collector, whose full passes
    # over everything these requests left stopped the event loop for 100 ms and more under load
    # (docs/benchmarks.md). The request is done with: cut them, and it is freed at once.
    request.__dict__.clear()
    return response


def _needs_no_database(request: ASGIRequest) -> bool:
    """Return whether answering ``request`` reads and writes nothing: a preflight or the session
    answer, carrying no credential or one this process has resolved and that needs no touch."""
    # A preflight reads nothing itself, but the middleware still resolves a credential it carries.
    if request.method != "OPTIONS" and request.path != _FROM_MEMORY_PATH:
        return False
    try:
        token, _ = auth.presented_token(**auth.request_parts(request))
    except DisallowedHost:
        return False  # Django's handler answers it (400), as for any other route
    if token is None:
        return True
    session = cached_session(token)
    return not is_miss(session) and (session is None or not session.touch_changes(clock.now()))


class AuthApiConsumer(AsyncHttpConsumer):
    """Serve one request of FAST_PATHS through Django's middleware, routes and views."""

    # A request hears nothing from the channel layer: without one, Channels makes no channel
    # for it and waits on the request alone (no second task per message).
    channel_layer_alias = "t3site.fast-auth-routes-use-no-layer"

    async def dispatch(self, message: dict) -> None:
        """Handle the request without Channels' database-thread round trip first.

        Channels closes stale database connections on its database thread before every
        message. A request answered from memory needs no connection, and one that needs the
        database runs in ``database_sync_to_async``, which closes stale ones itself, on the
        thread that uses them (as workspace.consumers does for socket frames).
        """
        if message["type"] == "http.request":
            await self.http_request(message)
        else:
            await super().dispatch(message)

    async def http_request(self, message):
        # Keep no more of the body than Django would take (the request answers 413 beyond it).
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and sum(map(len, self.body)) > limit:
            message = {**message, "body": b""}
        await super().http_request(message)

    async def handle(self, body: bytes) -> None:
        set_script_prefix(get_script_prefix(self.scope))
        request = ASGIRequest(self.scope, io.BytesIO(body))
        if _needs_no_database(request):
            response = _respond(request)
        else:
            response = await database_sync_to_async(_respond)(request)
        headers = [(name.encode("ascii"), value.encode("latin1")) for name, value in response.items()]
        headers += [(b"Set-Cookie", c.output(header="").encode("ascii").strip()) for c in response.cookies.values()]
        await self.send_response(response.status_code, response.content, headers=headers)


auth_api_urlpatterns = [path(route, AuthApiConsumer.as_asgi()) for route in FAST_PATHS]

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

The session answer of a session resolved in memory, the commonest request of all, goes one step
further: once Django has answered it for a host and scheme, its headers are known for them
(``SessionAnswerHeaders``), and the answer is built here from the view's own body with those
headers, without the middleware chain, which was half of what the request cost.

Revocation is seen at once: every revocation in this process drops pairing.resolved's cache, and
another process's commit makes every cached session a miss.
"""

from __future__ import annotations

import io
import json
from collections import OrderedDict

from channels.db import database_sync_to_async
from channels.generic.http import AsyncHttpConsumer
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import InvalidTokenFormat, _check_token_format
from django.urls import path, set_script_prefix

from pairing import auth
from pairing.middleware import TrustedProxyMiddleware
from pairing.models import DeviceSession
from pairing.resolved import cached_session, is_miss
from pairing.views import session_info_answer
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


def _answer_from_memory(request: ASGIRequest) -> tuple[bool, DeviceSession | None]:
    """Return whether answering ``request`` reads and writes nothing, and the session it presents.

    It does for a preflight or the session answer, carrying no credential or one this process
    has resolved and that needs no touch; the session is then the one the middleware would attach.
    """
    # A preflight reads nothing itself, but the middleware still resolves a credential it carries.
    if request.method != "OPTIONS" and request.path != _FROM_MEMORY_PATH:
        return False, None
    try:
        token, _ = auth.presented_token(**auth.request_parts(request))
    except DisallowedHost:
        return False, None  # Django's handler answers it (400), as for any other route
    if token is None:
        return True, None
    session = cached_session(token)
    if is_miss(session) or (session is not None and session.touch_changes(clock.now())):
        return False, None
    return True, session


class SessionAnswerHeaders:
    """The headers Django gives the session answer, learned per host and scheme from its own answers.

    For ``GET /api/auth/session`` the middleware chain and the view add the same headers whoever
    asks: the content security policy (which names this host's socket origin, so it depends on the
    host and the scheme), no-store, nosniff, the referrer and frame rules and CORS ``*``; the body
    and its length are all that change. So once Django has answered for a host and scheme, the
    next answers for them are those headers around the view's own body. The scheme is read as the
    middleware reads it (a trusted proxy's X-Forwarded-Proto). A request whose CSRF cookie Django
    would replace (a malformed one: the middleware answers with a new one) is left to Django.
    tests/pairing/test_session_answer.py holds every built answer to Django's own, byte for byte,
    for credentials of every kind.
    """

    # Any client may send any Host: the shapes used least recently go first, so a client making up
    # hosts costs the real ones at most a Django answer each now and then, never the built answer.
    MAX_SHAPES = 32

    def __init__(self) -> None:
        # (host, scheme) → the header list, with None where the body's length goes; least recently used first.
        self._learned: OrderedDict[tuple[str, str], list[tuple[bytes, bytes] | None]] = OrderedDict()

    @staticmethod
    def shape(request: ASGIRequest) -> tuple[str, str] | None:
        """Return the host and scheme of a session request, or None for another request or a bad host."""
        if request.method != "GET" or request.path != _FROM_MEMORY_PATH or not _csrf_cookie_kept(request):
            return None
        TrustedProxyMiddleware.read_forwarded_proto(request)
        try:
            return request.get_host(), request.scheme
        except DisallowedHost:
            return None

    def answer(self, shape: tuple[str, str], session: DeviceSession | None) -> tuple[int, list, bytes] | None:
        """Return the session answer (status, headers, body) for a request of ``shape`` presenting
        ``session``, or None when Django has not answered one of that shape yet."""
        headers = self._learned.get(shape)
        if headers is None:
            return None
        self._learned.move_to_end(shape)
        body = json.dumps(session_info_answer(session), cls=DjangoJSONEncoder).encode()
        length = (b"Content-Length", str(len(body)).encode("ascii"))
        return 200, [length if header is None else header for header in headers], body

    def learn(self, shape: tuple[str, str], response: HttpResponse, headers: list[tuple[bytes, bytes]]) -> None:
        """Keep the headers of Django's answer to a session request of ``shape``, when it was a plain one."""
        if response.status_code != 200 or response.cookies:
            return
        if shape not in self._learned and len(self._learned) >= self.MAX_SHAPES:
            self._learned.popitem(last=False)
        self._learned[shape] = [None if name == b"Content-Length" else (name, value) for name, value in headers]

    def forget(self) -> None:
        self._learned.clear()


session_answer_headers = SessionAnswerHeaders()


def _csrf_cookie_kept(request: ASGIRequest) -> bool:
    """Return whether Django's CSRF middleware leaves the request's CSRF cookie as it is (there is
    none, or it is well-formed); it replaces a malformed one, with a Set-Cookie on the answer."""
    value = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if value is None:
        return True
    try:
        _check_token_format(value)  # the middleware's own check (Django 5.2)
    except InvalidTokenFormat:
        return False
    return True


@receiver(setting_changed, dispatch_uid="pairing.fast")
def _forget_learned_headers(**kwargs) -> None:
    """A changed setting (in tests) may change what the middleware adds."""
    session_answer_headers.forget()


def _parts(response: HttpResponse) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Return a Django response as the ASGI answer's status, headers and body."""
    headers = [(name.encode("ascii"), value.encode("latin1")) for name, value in response.items()]
    headers += [(b"Set-Cookie", c.output(header="").encode("ascii").strip()) for c in response.cookies.values()]
    return response.status_code, headers, response.content


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
        from_memory, session = _answer_from_memory(request)
        shape = session_answer_headers.shape(request)
        direct = session_answer_headers.answer(shape, session) if from_memory and shape else None
        if direct is None:
            if from_memory:
                response = _respond(request)
            else:
                response = await database_sync_to_async(_respond)(request)
            direct = _parts(response)
            if shape is not None:
                session_answer_headers.learn(shape, response, direct[1])
        status, headers, content = direct
        await self.send_response(status, content, headers=headers)


auth_api_urlpatterns = [path(route, AuthApiConsumer.as_asgi()) for route in FAST_PATHS]

"""Authenticate a WebSocket handshake (docs/contract.md §5).

Three ways in: ``?ticket=t3w_...`` from any origin (the ticket itself is the
proof, and it works once); the session cookie, only from this server's own
pages or a configured hosted origin; ``Authorization: Bearer``, for clients
that send no browser Origin. Every refused credential counts against the same
per-IP failure budget as pairing; past it, refusals close with 4429.
"""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from django.conf import settings

from pairing.auth import SESSION_COOKIE, bearer_token, origin_is_hosted, origin_is_this_server
from pairing.clientip import client_ip
from pairing.models import CredentialError, DeviceSession, WebSocketTicket
from pairing.ratelimit import RateLimited, auth_failures
from pairing.resolved import cached_session, is_miss, session_for_token
from t3site import clock

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_SESSION_ENDED = 4410
CLOSE_RATE_LIMITED = 4429


@dataclass
class SocketAuth:
    session: DeviceSession | None = None
    close_code: int | None = None
    reason: str = ""


def _headers(scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}


def _cookie(header: str | None) -> str | None:
    if not header:
        return None
    try:
        jar = SimpleCookie(header)
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel else None


@dataclass(frozen=True)
class _Handshake:
    """What a handshake presents, read from its ASGI scope."""

    ip: str | None
    origin: str | None
    host: str
    ticket: str | None
    bearer: str | None
    cookie: str | None

    @classmethod
    def of(cls, scope) -> _Handshake:
        headers = _headers(scope)
        peer = (scope.get("client") or [None])[0]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        return cls(
            ip=client_ip(peer, headers.get("x-forwarded-for"), settings.T3SITE_TRUSTED_PROXIES),
            origin=headers.get("origin"),
            host=headers.get("host", ""),
            ticket=(query.get("ticket") or [None])[0],
            bearer=bearer_token(headers.get("authorization")),
            cookie=_cookie(headers.get("cookie")),
        )

    def origin_allowed(self) -> bool:
        return not self.origin or origin_is_this_server(self.origin, self.host) or origin_is_hosted(self.origin)


def accepted_from_memory(scope) -> SocketAuth | None:
    """Return the handshake's acceptance when it needs no database at all, else None.

    That is a bearer or cookie from an allowed origin whose session this process resolved
    (pairing.resolved: nothing was committed since), still live, and whose handshake writes
    nothing now (``last_connected_at`` is written at most once a minute). Everything else,
    refusals included (they count against the failure budget), goes to ``authenticate_socket``.
    Never queries, so the event loop can ask it without a thread hop.
    """
    handshake = _Handshake.of(scope)
    if handshake.ticket or not (handshake.bearer or handshake.cookie) or not handshake.origin_allowed():
        return None
    session = cached_session(handshake.bearer or handshake.cookie)
    if is_miss(session) or session is None or not session.is_active:
        return None
    if session.touch_changes(clock.now(), connected=True):
        return None
    return SocketAuth(session=session)


def authenticate_socket(scope) -> SocketAuth:
    """Return the live session behind a handshake, or the close code to refuse it with."""
    handshake = _Handshake.of(scope)
    ip, ticket, bearer, cookie = handshake.ip, handshake.ticket, handshake.bearer, handshake.cookie

    def refuse(code: int, reason: str) -> SocketAuth:
        # Only a wrong credential counts: a valid one is never held up by the limit,
        # so a page that spams bad codes at this server cannot lock its devices out.
        if code == CLOSE_UNAUTHORIZED:
            try:
                auth_failures.attempt(ip)
            except RateLimited as exc:
                return SocketAuth(close_code=CLOSE_RATE_LIMITED, reason=f"rate limited: retry in {exc.retry_after}s")
        return SocketAuth(close_code=code, reason=reason)

    if ticket:
        try:
            session = WebSocketTicket.objects.claim(ticket)
        except CredentialError:
            return refuse(CLOSE_UNAUTHORIZED, "invalid ticket")
    elif bearer or cookie:
        if not handshake.origin_allowed():
            return refuse(CLOSE_FORBIDDEN, "origin refused")
        session = session_for_token(bearer or cookie)
        if session is None:
            return refuse(CLOSE_UNAUTHORIZED, "invalid credential")
    else:
        return SocketAuth(close_code=CLOSE_UNAUTHORIZED, reason="no credential")

    if not session.is_active:
        return SocketAuth(close_code=CLOSE_SESSION_ENDED, reason="session revoked or expired")
    session.touch(connected=True)
    return SocketAuth(session=session)

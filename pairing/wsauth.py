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
from pairing.resolved import session_for_token

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


def authenticate_socket(scope) -> SocketAuth:
    """Return the live session behind a handshake, or the close code to refuse it with."""
    headers = _headers(scope)
    peer = (scope.get("client") or [None])[0]
    ip = client_ip(peer, headers.get("x-forwarded-for"), settings.T3SITE_TRUSTED_PROXIES)
    origin = headers.get("origin")
    host = headers.get("host", "")
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    ticket = (query.get("ticket") or [None])[0]
    bearer = bearer_token(headers.get("authorization"))
    cookie = _cookie(headers.get("cookie"))

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
        if origin and not (origin_is_this_server(origin, host) or origin_is_hosted(origin)):
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

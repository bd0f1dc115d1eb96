"""Find the device session behind a request or a WebSocket handshake.

A session is presented as ``Authorization: Bearer t3s_...`` or as the
``t3site_session`` cookie. The cookie is ambient (the browser sends it by
itself), so it only counts when the request's Origin is this server: any other
page could otherwise act with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings

from pairing.clientip import client_ip
from pairing.models import DeviceSession
from pairing.resolved import cached_session, is_miss, session_for_token
from t3site.origins import BadOrigin, normalize_origin

SESSION_COOKIE = "t3site_session"


@dataclass
class Presented:
    """What a request presented, and what it came to."""

    session: DeviceSession | None = None
    via: str = ""  # "bearer", "cookie" or ""
    problem: str = ""  # "", "invalid_token", "expired_token" or "forbidden_origin"


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def origin_is_this_server(origin: str, host: str) -> bool:
    """Return whether a browser Origin names the host the request was sent to."""
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return bool(netloc) and netloc.lower() == (host or "").lower()


def origin_is_hosted(origin: str) -> bool:
    """Return whether a browser Origin is one of T3SITE_HOSTED_ORIGINS (read the same way)."""
    try:
        return normalize_origin(origin, default_scheme=None) in settings.T3SITE_HOSTED_ORIGINS
    except BadOrigin:
        return False


def presented_token(
    *, authorization: str | None, cookie: str | None, origin: str | None, host: str
) -> tuple[str | None, Presented]:
    """Return the token these request parts present (or None), and what is known before it is looked up."""
    token = bearer_token(authorization)
    if token is not None:
        return token, Presented(via="bearer")
    if cookie:
        if origin and not origin_is_this_server(origin, host):
            return None, Presented(via="cookie", problem="forbidden_origin")
        return cookie, Presented(via="cookie")
    return None, Presented()


def judged(session: DeviceSession | None, presented: Presented) -> Presented:
    """Return what a presented token came to, once its session (or None) is known."""
    if session is None:
        return Presented(via=presented.via, problem="invalid_token")
    if not session.is_active:
        return Presented(session=session, via=presented.via, problem="expired_token")
    return Presented(session=session, via=presented.via)


def resolve(*, authorization: str | None, cookie: str | None, origin: str | None, host: str) -> Presented:
    """Return the session presented by these request parts, checked but not touched."""
    token, presented = presented_token(authorization=authorization, cookie=cookie, origin=origin, host=host)
    if token is None:
        return presented
    return judged(session_for_token(token), presented)


async def aresolve(*, authorization: str | None, cookie: str | None, origin: str | None, host: str) -> Presented:
    """Return what ``resolve`` does, from the cache without a thread hop when it can."""
    token, presented = presented_token(authorization=authorization, cookie=cookie, origin=origin, host=host)
    if token is None:
        return presented
    session = cached_session(token)
    if is_miss(session):
        session = await sync_to_async(session_for_token)(token)
    return judged(session, presented)


def request_parts(request) -> dict:
    """Return the parts of a Django request that ``resolve`` reads."""
    return {
        "authorization": request.headers.get("Authorization"),
        "cookie": request.COOKIES.get(SESSION_COOKIE),
        "origin": request.headers.get("Origin"),
        "host": request.get_host(),
    }


def request_client_ip(request) -> str | None:
    return client_ip(
        request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"), settings.T3SITE_TRUSTED_PROXIES
    )

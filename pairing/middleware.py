"""Attach the caller's device session to every request.

``request.device_session`` is the live session or None; ``request.presented``
says how it was presented and why it was refused. ``request.user`` is the
built-in owner account for sessions with the admin scope, so the Django admin
works for an owner-paired browser without a password, and for nobody else.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from pairing import auth
from pairing.clientip import is_trusted
from pairing.owner import owner_user
from pairing.scopes import ADMIN

# Django reads the scheme from this META key (settings.SECURE_PROXY_SSL_HEADER). Only
# TrustedProxyMiddleware writes it, and only for a request that came through a trusted proxy.
PROXIED_PROTO_META = "HTTP_X_T3SITE_PROXIED_PROTO"


class TrustedProxyMiddleware:
    """Believe X-Forwarded-Proto only from T3SITE_TRUSTED_PROXIES.

    Behind an HTTPS front (Tailscale Serve, a reverse proxy) the request arrives
    as plain http; without this the session cookie would lack ``Secure`` and
    pairing URLs would say http://. Anyone else's X-Forwarded-Proto is ignored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop(PROXIED_PROTO_META, None)  # a client cannot send our internal header
        forwarded = request.META.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
        if forwarded in ("http", "https") and is_trusted(
            request.META.get("REMOTE_ADDR"), settings.T3SITE_TRUSTED_PROXIES
        ):
            request.META[PROXIED_PROTO_META] = forwarded
        return self.get_response(request)


class SecureCsrfCookieMiddleware:
    """Mark the CSRF cookie ``Secure`` when the request came over HTTPS, as the session cookie is.

    CSRF_COOKIE_SECURE would be all or nothing: on, no plain-http device (loopback, LAN, tailnet)
    could use the admin's forms; off, a cookie set over HTTPS could also be sent over plain http to
    the same host name. Per request, each device gets the cookie its connection can keep.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cookie = response.cookies.get(settings.CSRF_COOKIE_NAME)
        if cookie is not None and request.is_secure():
            cookie["secure"] = True
        return response


class DeviceSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        presented = auth.resolve(
            authorization=request.headers.get("Authorization"),
            cookie=request.COOKIES.get(auth.SESSION_COOKIE),
            origin=request.headers.get("Origin"),
            host=request.get_host(),
        )
        session = presented.session if not presented.problem else None
        if session is not None:
            session.touch()
        request.presented = presented
        request.device_session = session
        request.user = SimpleLazyObject(
            lambda: owner_user() if session is not None and session.has_scope(ADMIN) else AnonymousUser()
        )
        return self.get_response(request)

"""Attach the caller's device session to every request.

``request.device_session`` is the live session or None; ``request.presented``
says how it was presented and why it was refused. ``request.user`` is the
built-in owner account for sessions with the admin scope, so the Django admin
works for an owner-paired browser without a password, and for nobody else.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from pairing import auth
from pairing.clientip import is_trusted
from pairing.owner import owner_user
from pairing.scopes import ADMIN
from t3site import clock

# Django reads the scheme from this META key (settings.SECURE_PROXY_SSL_HEADER). Only
# TrustedProxyMiddleware writes it, and only for a request that came through a trusted proxy.
PROXIED_PROTO_META = "HTTP_X_T3SITE_PROXIED_PROTO"


class _EitherMiddleware:
    """A middleware that runs in the caller's mode, sync or async, so a request never crosses
    between the event loop and a thread for it (Django adapts a sync-only one with a hop each way).
    A subclass says what it does before (``before``) and after (``after``) the view; neither may block.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        self.before(request)
        return self.after(request, self.get_response(request))

    async def __acall__(self, request):
        self.before(request)
        return self.after(request, await self.get_response(request))

    def before(self, request) -> None:
        pass

    def after(self, request, response):
        return response


class TrustedProxyMiddleware(_EitherMiddleware):
    """Believe X-Forwarded-Proto only from T3SITE_TRUSTED_PROXIES.

    Behind an HTTPS front (Tailscale Serve, a reverse proxy) the request arrives
    as plain http; without this the session cookie would lack ``Secure`` and
    pairing URLs would say http://. Anyone else's X-Forwarded-Proto is ignored.
    """

    def before(self, request) -> None:
        self.read_forwarded_proto(request)

    @staticmethod
    def read_forwarded_proto(request) -> None:
        """Set the scheme Django reads from X-Forwarded-Proto when a trusted proxy sent it, else clear it."""
        request.META.pop(PROXIED_PROTO_META, None)  # a client cannot send our internal header
        forwarded = request.META.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
        if forwarded in ("http", "https") and is_trusted(
            request.META.get("REMOTE_ADDR"), settings.T3SITE_TRUSTED_PROXIES
        ):
            request.META[PROXIED_PROTO_META] = forwarded


class SecureCsrfCookieMiddleware(_EitherMiddleware):
    """Mark the CSRF cookie ``Secure`` when the request came over HTTPS, as the session cookie is.

    CSRF_COOKIE_SECURE would be all or nothing: on, no plain-http device (loopback, LAN, tailnet)
    could use the admin's forms; off, a cookie set over HTTPS could also be sent over plain http to
    the same host name. Per request, each device gets the cookie its connection can keep.
    """

    def after(self, request, response):
        cookie = response.cookies.get(settings.CSRF_COOKIE_NAME)
        if cookie is not None and request.is_secure():
            cookie["secure"] = True
        return response


class DeviceSessionMiddleware(_EitherMiddleware):
    """Attach the session; in async mode a cached session costs no thread hop, and a touch only when due."""

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        presented = auth.resolve(**auth.request_parts(request))
        if presented.session is not None and not presented.problem:
            presented.session.touch()
        self._attach(request, presented)
        return self.get_response(request)

    async def __acall__(self, request):
        presented = await auth.aresolve(**auth.request_parts(request))
        session = presented.session
        if session is not None and not presented.problem and session.touch_changes(clock.now()):
            await sync_to_async(session.touch)()
        self._attach(request, presented)
        return await self.get_response(request)

    @staticmethod
    def _attach(request, presented: auth.Presented) -> None:
        session = presented.session if not presented.problem else None
        request.presented = presented
        request.device_session = session
        request.user = SimpleLazyObject(
            lambda: owner_user() if session is not None and session.has_scope(ADMIN) else AnonymousUser()
        )

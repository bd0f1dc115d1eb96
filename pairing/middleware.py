"""Attach the caller's device session to every request.

``request.device_session`` is the live session or None; ``request.presented``
says how it was presented and why it was refused. ``request.user`` is the
built-in owner account for sessions with the admin scope, so the Django admin
works for an owner-paired browser without a password, and for nobody else.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from pairing import auth
from pairing.owner import owner_user
from pairing.scopes import ADMIN


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

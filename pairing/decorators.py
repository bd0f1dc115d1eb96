"""The one decorator for "this view needs a live device session with scope X"."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest

from t3site.http import error

_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_PROBLEMS = {
    "invalid_token": (401, "the session token is not valid: pair this device again"),
    "expired_token": (401, "this device's session was revoked or has expired: pair again"),
    "forbidden_origin": (403, "the session cookie is only accepted from this server's own pages"),
}


def session_required(scope: str | None = None) -> Callable:
    """Refuse the request unless it carries a live session that has ``scope``."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method == "OPTIONS":
                return view(request, *args, **kwargs)
            presented = request.presented
            if presented.problem:
                status, message = _PROBLEMS[presented.problem]
                return error(presented.problem, message, status)
            session = request.device_session
            if session is None:
                return error("unauthenticated", "pair this device first: no session was presented", 401)
            if (
                presented.via == "cookie"
                and request.method in _UNSAFE_METHODS
                and not request.headers.get("Origin")
                and request.headers.get("Sec-Fetch-Site") not in (None, "same-origin", "none")
            ):
                # An unsafe cookie request with no Origin but a cross-site fetch mark is a forgery attempt.
                return error("forbidden_origin", _PROBLEMS["forbidden_origin"][1], 403)
            if scope is not None and not session.has_scope(scope):
                return error("insufficient_scope", f"this device's session lacks the {scope!r} scope", 403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate

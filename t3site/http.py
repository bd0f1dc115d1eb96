"""JSON responses, errors and CORS headers shared by every API view."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt


class BadRequest(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def answer(data: Any, status: int = 200) -> JsonResponse:
    """Return ``data`` as JSON; API answers are never cached (they carry credentials or live state)."""
    return no_store(JsonResponse(data, status=status, safe=False))


def error(code: str, message: str, status: int, headers: dict[str, str] | None = None) -> JsonResponse:
    """Return the contract's error shape: {"error": {"code", "message"}}."""
    response = answer({"error": {"code": code, "message": message}}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def read_json(request: HttpRequest) -> dict[str, Any]:
    """Return the request's JSON object body ({} when empty); raise BadRequest otherwise."""
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
        # JSON can escape a lone surrogate (\ud800), which no database or encoder takes: refuse it
        # here, as the socket does, rather than fail further in.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise BadRequest("the request body is not valid JSON text") from None
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    return data


def too_large() -> JsonResponse:
    """Answer a body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413, as the socket's -32010 says "too large".

    413 rather than 400 ``bad_request``: the body may be well-formed, only its size is refused,
    and 413 is what HTTP clients and proxies know that by.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error("too_large", f"the request body is larger than {limit} bytes", 413)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    """Answer a request Django refuses (a body too large, a malformed Host) under /api/ with a JSON error."""
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            return too_large()
        return error("bad_request", "the request could not be read", 400)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """Answer an unknown /api/ path with the contract's JSON error; pages get Django's page."""
    if request.path.startswith("/api/"):
        return error("not_found", f"no API route {request.path}", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer a crash under /api/ with a JSON error (the details are in the server log, not here)."""
    if request.path.startswith("/api/"):
        return error("internal_error", "the server failed to answer; its log says why", 500)
    return defaults.server_error(request)


CORS_ALLOWED_HEADERS = "Authorization, Content-Type"


def open_cors(methods: str) -> Callable:
    """Allow any origin to call a view without credentials (CORS ``*``).

    Safe for bearer-token and public routes: with ``*`` browsers never attach
    cookies, so a foreign page can only act with a token it already holds.
    Also answers the preflight, turns BadRequest into a 400 and a body too large into a 413.
    """

    allowed = {method.strip() for method in methods.split(",")}

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in allowed:
                response = error("method_not_allowed", f"use {', '.join(sorted(allowed - {'OPTIONS'}))}", 405)
                response["Allow"] = methods
            elif request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Access-Control-Allow-Methods"] = methods
                response["Access-Control-Allow-Headers"] = CORS_ALLOWED_HEADERS
                response["Access-Control-Max-Age"] = "600"
            else:
                try:
                    response = view(request, *args, **kwargs)
                except BadRequest as exc:
                    response = error("bad_request", exc.message, 400)
                except RequestDataTooBig:
                    # Answered here rather than by handler400 so that it carries the CORS headers a
                    # hosted page needs to read it (and Django logs no traceback for it).
                    response = too_large()
            response["Access-Control-Allow-Origin"] = "*"
            # Without this, a hosted page cannot read how long a rate limit lasts.
            response["Access-Control-Expose-Headers"] = "Retry-After"
            response["Vary"] = "Origin"
            return response

        return wrapper

    return decorate

"""The one HTTP client for another t3site backend (or this server, by one of its names). No Django imports.

Every caller that needs to know which server answers at an address comes here: `pair` and
`auth pairing create` finding the running server, the Connections page verifying an HTTPS
endpoint, `environments add` and SSH launch checking a backend before spending a code. And
every call of a backend's API (docs/contract.md) goes out through ``call``: pairing with it,
logging out of it, and asking it for a session's scopes and a socket ticket (environments.backend_pairing).

Requests go to the address directly, never through a proxy: http_proxy and https_proxy are
ignored, since the address is this machine, the LAN, the tailnet or this server's own name,
which a proxy would answer for from somewhere else (or log).
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

DESCRIPTOR_PATH = "/.well-known/t3/environment"
# A descriptor is a few hundred bytes; a page that answers with megabytes is not one.
DESCRIPTOR_MAX_BYTES = 64 * 1024


class NotADescriptor(Exception):
    """The URL answered, but not with a descriptor: some other site or an error page."""


def _open(request: urllib.request.Request, timeout: float, context: ssl.SSLContext | None = None):
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    return urllib.request.build_opener(*handlers).open(request, timeout=timeout)


def fetch_descriptor(base_url: str, timeout: float, context: ssl.SSLContext | None = None) -> dict:
    """Return the descriptor ``base_url`` serves.

    Raise urllib's errors (OSError; HTTPError for an error status) when it cannot be fetched,
    NotADescriptor when the answer is not a JSON object with an ``environmentId`` string.
    """
    url = base_url.rstrip("/") + DESCRIPTOR_PATH
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - callers pass http(s)
    with _open(request, timeout, context) as response:
        body = response.read(DESCRIPTOR_MAX_BYTES)
    try:
        descriptor = json.loads(body)
    except ValueError:
        raise NotADescriptor(url) from None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("environmentId"), str):
        raise NotADescriptor(url)
    return descriptor


def call(method: str, url: str, *, body: dict | None = None, token: str | None = None, timeout: float) -> dict:
    """Send ``body`` (if any) as JSON to a backend's API, with ``token`` as the bearer; return the JSON answer.

    An empty answer is ``{}``. Raise urllib's errors as fetch_descriptor does (an HTTPError's
    ``error_of`` is what the backend said), ValueError when the answer is not JSON.
    """
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - http(s) only
    with _open(request, timeout) as response:
        return json.loads(response.read() or b"{}")


def error_of(exc: urllib.error.HTTPError) -> dict:
    """Return the contract's ``{"code", "message"}`` a backend answered an error status with; {} when it gave none."""
    try:
        failure = json.loads(exc.read()).get("error") or {}
    except (ValueError, AttributeError):
        failure = {}
    return failure if isinstance(failure, dict) else {}

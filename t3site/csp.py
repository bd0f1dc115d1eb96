"""The Content-Security-Policy of every response, and what a page may add to it.

Browsers keep the bearer tokens of saved environments in this origin's localStorage, so a script
injected into any page here could carry them off. The policy makes that as hard as a header can:

- ``script-src 'self'``: only the files under /static/ run; no inline script, no ``eval``, so
  markup that slips into a page (a label, a file name) can never become code. The one inline
  script, the import map of templates/base.html (t3site/importmap.py), is allowed by its sha256
  on the pages that carry it: that exact text, and nothing else;
- ``connect-src``: a page's scripts reach this server, and only the pages that talk to other
  t3site backends (the app, /pair, /environments) reach those, each named for that page;
- ``img-src``/``font-src``/``style-src`` keep to this server (and ``blob:`` images, for the QR code),
  so neither an image nor a stylesheet can carry data elsewhere; ``form-action 'self'``,
  ``base-uri 'none'``, ``object-src 'none'``; ``frame-ancestors 'none'``: no page can be framed.

Which backends a page talks to is known to the browser, not to this server: an environment saved
only in this browser lives in its storage. So the pages that reach other backends name them in
their own address (``?host=ORIGIN``, repeated), and a page that needs one its address does not
name loads itself again with it (static/js/core/csp.js). A view declares what it adds with
``@extend(...)``; ``ContentSecurityPolicyMiddleware`` writes the header. See docs/security.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import wraps

from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from t3site import importmap
from t3site.config import parse_origin

HEADER = "Content-Security-Policy"
POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "blob:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}
# What may go into the header as a backend: scheme://host[:port] in the characters of a CSP
# host-source, so a crafted ?host= cannot end the directive (";", ",", spaces) or widen it ("*").
_SAFE_ORIGIN = re.compile(r"^https?://([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$")
_SOCKET_SCHEMES = {"http": "ws", "https": "wss"}

Sources = Iterable[str] | Callable[[HttpRequest], Iterable[str]]


def backend_sources(origin: str) -> list[str]:
    """Return what a page needs to reach the backend at ``origin``: its http(s) and ws(s) origins."""
    scheme, rest = origin.split("://", 1)
    return [origin, f"{_SOCKET_SCHEMES[scheme]}://{rest}"]


def backend_origin(text: str, default_scheme: str = "http") -> str | None:
    """Return ``text`` as a backend origin safe to name in the policy, or None.

    As the pages read an address (static/js/core/origins.js): a bare ``host:port`` takes the
    page's scheme; anything with a user, path, query or fragment is not an origin.
    """
    text = text.strip()
    if "://" not in text:
        text = f"{default_scheme}://{text}"
    try:
        origin = parse_origin("host", text)
    except ImproperlyConfigured:
        return None
    return origin if _SAFE_ORIGIN.match(origin) else None


def named_backends(request: HttpRequest) -> list[str]:
    """Return the sources of the backends the page's address names with ``?host=`` (each valid one)."""
    sources = []
    for value in request.GET.getlist("host"):
        origin = backend_origin(value, request.scheme)
        if origin is not None:
            sources.extend(backend_sources(origin))
    return sources


def extend(**additions: Sources) -> Callable:
    """Add sources to the policy of the page a view serves: ``@extend(connect_src=named_backends)``.

    Each keyword is a directive (``connect_src`` for ``connect-src``); each value is a list of
    sources, or a function of the request that returns them.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            response.csp_additions = {
                name.replace("_", "-"): list(sources(request) if callable(sources) else sources)
                for name, sources in additions.items()
            }
            return response

        return wrapper

    return decorate


def _this_server(request: HttpRequest) -> list[str]:
    """Return this server's socket origin: ``'self'`` covers ws(s) only in recent browsers (CSP 3)."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return []
    return [f"{_SOCKET_SCHEMES[request.scheme]}://{host}"]


def carries_import_map(response: HttpResponse) -> bool:
    """Return whether ``response`` is a page with the import map in it (templates/base.html)."""
    return (
        not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        and importmap.ELEMENT_START.encode() in response.content
    )


def header_value(request: HttpRequest, additions: dict[str, list[str]]) -> str:
    """Return the policy for ``request``'s response, with a page's ``additions``, as one header value."""
    policy = {name: list(sources) for name, sources in POLICY.items()}
    policy["connect-src"] += _this_server(request)
    for name, sources in additions.items():
        policy.setdefault(name, [])
        policy[name] += [source for source in sources if source not in policy[name]]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Send the policy on every response: pages, the admin, the API, static files and errors alike."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        additions = dict(getattr(response, "csp_additions", {}))
        if carries_import_map(response):
            additions["script-src"] = [*additions.get("script-src", []), importmap.script_source()]
        response[HEADER] = header_value(request, additions)
        return response

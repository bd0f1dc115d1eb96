"""Ask another t3site server (or this one, by one of its names) who it is. No Django imports.

Every caller that needs to know which server answers at an address comes here: `pair` and
`auth pairing create` finding the running server, the Connections page verifying an HTTPS
endpoint, `environments add` and SSH launch checking a backend before spending a code.
"""

from __future__ import annotations

import json
import ssl
import urllib.request

DESCRIPTOR_PATH = "/.well-known/t3/environment"
# A descriptor is a few hundred bytes; a page that answers with megabytes is not one.
DESCRIPTOR_MAX_BYTES = 64 * 1024


class NotADescriptor(Exception):
    """The URL answered, but not with a descriptor: some other site or an error page."""


def fetch_descriptor(base_url: str, timeout: float, context: ssl.SSLContext | None = None) -> dict:
    """Return the descriptor ``base_url`` serves, fetched directly, never through a proxy.

    http_proxy and https_proxy are ignored: the address is this machine, the LAN, the tailnet
    or this server's own name, which a proxy would answer for from somewhere else (or log).
    Raise urllib's errors (OSError; HTTPError for an error status) when it cannot be fetched,
    NotADescriptor when the answer is not a JSON object with an ``environmentId`` string.
    """
    url = base_url.rstrip("/") + DESCRIPTOR_PATH
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - callers pass http(s)
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as response:
        body = response.read(DESCRIPTOR_MAX_BYTES)
    try:
        descriptor = json.loads(body)
    except ValueError:
        raise NotADescriptor(url) from None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("environmentId"), str):
        raise NotADescriptor(url)
    return descriptor

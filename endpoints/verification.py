"""Check that an HTTPS URL really reaches this server. No Django imports.

An HTTPS endpoint is only advertised as available once a GET of its
descriptor answered with this server's environment id: a name can point at a
stale Serve mapping, another machine, or a proxy's error page.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

DESCRIPTOR_PATH = "/.well-known/t3/environment"
VERIFY_TIMEOUT_SECONDS = 5
DESCRIPTOR_MAX_BYTES = 64 * 1024
# A result is reused this long: the Connections page polls, and each check may take seconds.
VERIFICATION_CACHE_SECONDS = 15


@dataclass(frozen=True)
class Verification:
    ok: bool
    reason: str


_cache: dict[tuple[str, str], tuple[float, Verification]] = {}
_lock = threading.Lock()


def forget_cache() -> None:
    with _lock:
        _cache.clear()


class NotADescriptor(Exception):
    """The URL answered, but not with a JSON object: some other site or an error page."""


def fetch_descriptor(base_url: str, timeout: float, context: ssl.SSLContext | None = None) -> dict:
    """Return the descriptor ``base_url`` serves, fetched directly, never through a proxy.

    http_proxy and https_proxy are ignored: the probe is of 127.0.0.1 or of this
    server's own name, which a proxy would answer for from somewhere else (or log).
    Raise urllib's errors (OSError) when it cannot be fetched, NotADescriptor when
    the answer is not a JSON object.
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
    if not isinstance(descriptor, dict):
        raise NotADescriptor(url)
    return descriptor


def verify(
    base_url: str,
    environment_id: str,
    timeout: float = VERIFY_TIMEOUT_SECONDS,
    context: ssl.SSLContext | None = None,
) -> Verification:
    """Return whether ``base_url`` serves this server's descriptor, and if not, why not."""
    if not base_url.startswith(("https://", "http://")):
        return Verification(False, f"{base_url} is not an http(s) URL.")
    not_descriptor = Verification(False, f"{base_url} answered with a page that is not a t3site descriptor.")
    try:
        descriptor = fetch_descriptor(base_url, timeout, context)
    except NotADescriptor:
        return not_descriptor
    except urllib.error.HTTPError as exc:
        return Verification(False, f"{base_url} answered HTTP {exc.code} instead of this server's descriptor.")
    except urllib.error.URLError as exc:
        return Verification(False, _unreachable(base_url, exc.reason, timeout))
    except TimeoutError:
        return Verification(False, f"{base_url} did not answer within {timeout:g} seconds.")
    except (OSError, ValueError, http.client.HTTPException) as exc:
        return Verification(False, _unreachable(base_url, exc, timeout))
    found = descriptor.get("environmentId")
    if found is None:
        return not_descriptor
    if found != environment_id:
        return Verification(False, f"{base_url} reaches a different t3site server (environment {found}), not this one.")
    return Verification(True, f"{base_url} answers as this server.")


def _unreachable(base_url: str, reason: object, timeout: float) -> str:
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"{base_url} has a TLS certificate this machine does not trust ({reason.verify_message})."
    if isinstance(reason, ssl.SSLError):
        return f"{base_url} failed the TLS handshake ({reason.reason or reason})."
    if isinstance(reason, TimeoutError):
        return f"{base_url} did not answer within {timeout:g} seconds."
    if isinstance(reason, socket.gaierror):
        return f"{base_url} cannot be reached: its name does not resolve from this machine."
    detail = getattr(reason, "strerror", None) or str(reason)
    return f"{base_url} cannot be reached ({detail})."


def verify_cached(base_url: str, environment_id: str, timeout: float = VERIFY_TIMEOUT_SECONDS) -> Verification:
    """Return ``verify()``'s answer, reusing one from the last few seconds."""
    key = (base_url, environment_id)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < VERIFICATION_CACHE_SECONDS:
            return hit[1]
    result = verify(base_url, environment_id, timeout)
    with _lock:
        _cache[key] = (time.monotonic(), result)
    return result

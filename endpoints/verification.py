"""Check that an HTTPS URL really reaches this server. No Django imports.

An HTTPS endpoint is only advertised as available once a GET of its
descriptor answered with this server's environment id: a name can point at a
stale Serve mapping, another machine, or a proxy's error page.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.error
from dataclasses import dataclass

from t3site.backends import NotADescriptor, fetch_descriptor
from t3site.cache import TTLCache

VERIFY_TIMEOUT_SECONDS = 5
# A result is reused this long: the Connections page polls, and each check may take seconds.
VERIFICATION_CACHE_SECONDS = 15


@dataclass(frozen=True)
class Verification:
    ok: bool
    reason: str


_verified: TTLCache[Verification] = TTLCache(VERIFICATION_CACHE_SECONDS)


def forget_cache() -> None:
    _verified.clear()


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
    found = descriptor["environmentId"]
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
    return _verified.get((base_url, environment_id), lambda: verify(base_url, environment_id, timeout))

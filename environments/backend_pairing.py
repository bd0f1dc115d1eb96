"""Pair this server with another t3site backend over HTTP (bearer mode), and log that session out.

Every request goes through t3site.backends, the one HTTP client for backends; this module says
what a backend's answers mean for pairing, each failure as one line saying what to do.

What `manage.py environments` (and SSH launch) use to pair this server with a
backend, in the same order as the /pair page: the code's shape is checked first
and the descriptor fetched next, so a typo, a dead address or a server that is
not t3site never spends the one-time token or counts as a failed attempt.
"""

from __future__ import annotations

import http.client
import urllib.error
from dataclasses import dataclass

from pairing.tokens import MalformedToken, normalize_pairing_code
from t3site import backends

TIMEOUT_SECONDS = 10

_REFUSALS = {
    "expired_token": "the pairing token has expired: ask for a new link (`manage.py pair` on that server)",
    "invalid_token": "the pairing token is not valid: it was used already or never existed; ask for a new link",
    "bad_request": "the backend refused the pairing code as malformed: check it and try again",
}


class BackendError(Exception):
    """Pairing with a backend failed; the message is one line saying why and what to do."""


class CredentialRefused(BackendError):
    """The backend no longer takes the session this server holds there: revoked, expired or never issued."""


@dataclass(frozen=True)
class Pairing:
    """A finished bearer-mode pairing: who the backend is and the session it gave us."""

    descriptor: dict
    session_id: str
    session_token: str
    role: str
    scopes: list[str]

    @property
    def environment_id(self) -> str:
        return self.descriptor["environmentId"]


def _call(method: str, url: str, body: dict | None = None, token: str | None = None) -> dict:
    try:
        return backends.call(method, url, body=body, token=token, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as exc:
        if token is not None and exc.code == 401:
            raise CredentialRefused("the backend refused the saved credential") from None
        raise _refusal(exc) from None
    except (OSError, http.client.HTTPException) as exc:
        raise _unreachable(url, exc) from None
    except ValueError:
        raise BackendError(f"{url} did not answer JSON: is this a t3site server?") from None


def _unreachable(url: str, exc: Exception) -> BackendError:
    reason = getattr(exc, "reason", exc)
    return BackendError(f"cannot reach {url.split('/', 3)[2]}: {reason}; is the server running there?")


def _refusal(exc: urllib.error.HTTPError) -> BackendError:
    failure = backends.error_of(exc)
    code = failure.get("code", "")
    if code == "rate_limited":
        retry_after = exc.headers.get("Retry-After", "600")
        return BackendError(f"too many failed pairing attempts from this address: try again in {retry_after} seconds")
    if code in _REFUSALS:
        return BackendError(_REFUSALS[code])
    return BackendError(f"the backend answered {exc.code}: {failure.get('message') or exc.reason}")


def fetch_descriptor(host: str) -> dict:
    """Return the backend's descriptor; raise BackendError when it is unreachable or not t3site."""
    try:
        return backends.fetch_descriptor(host, TIMEOUT_SECONDS)
    except backends.NotADescriptor:
        raise BackendError(f"{host} answers, but not as a t3site server (no environmentId in its descriptor)") from None
    except urllib.error.HTTPError as exc:
        raise _refusal(exc) from None
    except (OSError, http.client.HTTPException) as exc:
        raise _unreachable(host, exc) from None


def pair(host: str, code: str, *, device_label: str) -> Pairing:
    """Exchange a one-time pairing code with ``host`` for a bearer session."""
    try:
        code = normalize_pairing_code(code)
    except MalformedToken as exc:
        raise BackendError(f"that is not a pairing code: {exc}") from None
    descriptor = fetch_descriptor(host)
    answer = _call("POST", f"{host}/api/auth/pair", {"token": code, "mode": "bearer", "label": device_label})
    token = answer.get("sessionToken")
    if not isinstance(token, str):
        raise BackendError(f"{host} paired but returned no session token: is it a t3site server?")
    return Pairing(descriptor, answer.get("sessionId", ""), token, answer.get("role", ""), answer.get("scopes", []))


def log_out(http_base_url: str, session_token: str) -> bool:
    """Revoke a bearer session on its backend; return False when that could not be done (best effort)."""
    try:
        _call("POST", f"{http_base_url}/api/auth/logout", {}, token=session_token)
    except BackendError:
        return False
    return True


def session_scopes(http_base_url: str, session_token: str) -> list[str]:
    """Return the scopes of the session this server holds on a backend; raise CredentialRefused if it is not live."""
    answer = _call("GET", f"{http_base_url}/api/auth/session", token=session_token)
    if answer.get("authenticated") is not True:
        raise CredentialRefused("the backend refused the saved credential")
    return [scope for scope in answer.get("scopes") or [] if isinstance(scope, str)]


def ws_ticket(http_base_url: str, session_token: str, scopes: list[str]) -> str:
    """Return a one-use ticket for the backend's socket, minted with our session there, narrowed to ``scopes``.

    The backend checks that ``scopes`` are its session's, and its socket grants no more: a relayed
    device is held to what it may do by the backend itself (docs/contract.md §8).
    """
    answer = _call("POST", f"{http_base_url}/api/auth/ws-ticket", {"scopes": scopes}, token=session_token)
    ticket = answer.get("ticket")
    if not isinstance(ticket, str):
        raise BackendError(f"{http_base_url} gave no WebSocket ticket: is it a t3site server?")
    return ticket

"""The relay's HTTP routes: what a relayed client asks this server about a saved backend (docs/contract.md §8).

The descriptor is the backend's own. The session is t3site's addition (docs/environments.md): the
device's session here, with the scopes a relayed socket would get, so the app knows what it may
offer before it opens one.
"""

from __future__ import annotations

import logging

from environments.backend_pairing import BackendError, fetch_descriptor, session_scopes
from pairing.decorators import session_required
from relay import upstream
from t3site.clock import iso
from t3site.http import answer, error, open_cors

logger = logging.getLogger("t3site.relay")


def _unreachable(exc: BackendError):
    """Answer 502 for a backend that cannot be reached now: an expected state, not a server fault.

    Django logs every 5xx answer as an ERROR (django.request); pages ask while an SSH forward is
    still opening, every 2 s, and each would log one. Marked as logged, it says it once, at INFO.
    """
    logger.info("relay: %s", exc)
    response = error("backend_unreachable", str(exc), 502)
    response._has_been_logged = True  # django.utils.log.log_response's own mark for "already logged"
    return response


def _not_found(environment_id: str):
    return error("not_found", f"no saved environment {environment_id} that this server holds a credential for", 404)


@open_cors("GET, OPTIONS")
@session_required()
def descriptor(request, environment_id: str):
    """Return the descriptor of a saved backend this server relays to: what a relayed client is talking to."""
    found = upstream.find(environment_id)
    if found is None:
        return _not_found(environment_id)
    try:
        return answer(fetch_descriptor(found.http_base_url))
    except BackendError as exc:
        return _unreachable(exc)


@open_cors("GET, OPTIONS")
@session_required()
def session(request, environment_id: str):
    """Answer like GET /api/auth/session for this device, with the scopes it has on the backend through the relay.

    Those are the device's scopes here that the saved credential also has: what the narrowed ticket of
    a relayed socket carries (relay/upstream.py), so the backend enforces exactly these. Blocking (one
    call to the backend): a sync view, which Django runs in a thread.
    """
    found = upstream.find(environment_id)
    if found is None:
        return _not_found(environment_id)
    try:
        held = session_scopes(found.http_base_url, found.token)
    except BackendError as exc:
        return _unreachable(exc)
    device = request.device_session
    return answer(
        {
            "authenticated": True,
            "sessionId": device.id,
            "role": device.role,
            "scopes": [scope for scope in device.scopes if scope in held],
            "expiresAt": iso(device.expires_at),
            "label": device.label,
            "environmentId": found.environment.environment_id,
            "relayed": True,
        }
    )

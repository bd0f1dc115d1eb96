"""The relay's one HTTP route: a saved backend's descriptor, fetched by this server (docs/contract.md §8)."""

from __future__ import annotations

from environments.backend_pairing import BackendError, fetch_descriptor
from pairing.decorators import session_required
from relay import upstream
from t3site.http import answer, error, open_cors


@open_cors("GET, OPTIONS")
@session_required()
def descriptor(request, environment_id: str):
    """Return the descriptor of a saved backend this server relays to: what a relayed client is talking to."""
    found = upstream.find(environment_id)
    if found is None:
        return error("not_found", f"no saved environment {environment_id} that this server holds a credential for", 404)
    try:
        return answer(fetch_descriptor(found.http_base_url))
    except BackendError as exc:
        return error("backend_unreachable", str(exc), 502)

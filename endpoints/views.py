"""The endpoints API (docs/contract.md §6) and the Connections page. Views parse, call, answer."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from endpoints import serving, tailscale
from endpoints.advertised import advertised, current_listening, network_access
from endpoints.descriptor import describe, environment_id
from endpoints.forms import DefaultEndpointForm, NetworkAccessForm, QrForm, TailscaleServeForm
from endpoints.listening import BindError, current_listener
from endpoints.models import BIND_HOSTS, ConnectionSettings
from endpoints.qr import svg_qr
from endpoints.verification import verify_cached
from pairing.decorators import session_required
from pairing.scopes import ADMIN
from t3site.http import answer, error, no_store, open_cors, read_json


@open_cors("GET, OPTIONS")
def environment_descriptor(request):
    """Describe this server to anyone who asks (CORS *): clients check it before pairing."""
    return answer(describe())


@open_cors("GET, OPTIONS")
@session_required(ADMIN)
def endpoint_list(request):
    """List the advertised endpoints, read afresh, with Tailscale's state and network access."""
    return answer(advertised())


@open_cors("POST, OPTIONS")
@session_required(ADMIN)
def default_endpoint(request):
    """Remember the owner's default endpoint by its preference key."""
    ConnectionSettings.objects.choose_default(DefaultEndpointForm(read_json(request)).cleaned()["preferenceKey"])
    return answer(advertised())


@open_cors("POST, OPTIONS")
@session_required(ADMIN)
def tailscale_serve(request):
    """Put Tailscale Serve's HTTPS in front of this server and say whether it verified yet.

    Set up is not "done" until the URL answers as this server: the answer's
    ``verification`` is that check (the one the endpoint row shows), so the page
    can say what is still unverified instead of reporting success.
    """
    https_port = TailscaleServeForm(read_json(request)).cleaned()["httpsPort"]
    listening = current_listening()
    refusal = serving.unreachable_for_serve(listening.bind_host)
    if refusal:
        return error("conflict", refusal, 409)
    try:
        url = serving.set_up(settings.T3SITE_HOME, listening.port, https_port)
    except tailscale.ServeConflict as exc:
        return error("serve_conflict", exc.message, 409)
    except tailscale.TailscaleError as exc:
        return error("tailscale_error", exc.message, 502)
    # Checked before the listing, which then reuses this very result for the row.
    checked = verify_cached(url, environment_id())
    return answer({"httpsUrl": url, "verification": {"ok": checked.ok, "reason": checked.reason}, **advertised()})


@open_cors("GET, POST, OPTIONS")
def network_access_view(request):
    """Show (GET), or change (POST), whether the server listens on 127.0.0.1 or on every interface."""
    return {"GET": _show_network_access, "POST": _change_network_access}[request.method](request)


@session_required(ADMIN)
def _show_network_access(request):
    return answer({"networkAccess": network_access(current_listening())})


@session_required(ADMIN)
def _change_network_access(request):
    """Move the running server's listener, then save the mode (only once the server listens there)."""
    mode = NetworkAccessForm(read_json(request)).cleaned()["mode"]
    listening = current_listening()
    if listening.explicit_host:
        return error(
            "operation_forbidden",
            f"this server was started with --host {listening.bind_host}: restart it without --host to choose here",
            403,
        )
    control = current_listener()
    if control is not None:
        try:
            control.rebind(BIND_HOSTS[mode])
        except BindError as exc:
            # The saved mode stays as it was: the next start should not fail the same way.
            return error("bind_failed", f"the server could not listen there: {exc}", 409)
    ConnectionSettings.objects.choose_network_access(mode)
    return answer({"networkAccess": network_access(current_listening()), "applied": control is not None})


@open_cors("POST, OPTIONS")
@session_required(ADMIN)
def qr_code(request):
    """Draw a QR code as SVG. POST, not GET: the text is a pairing link, and URLs end up in logs."""
    text = QrForm(read_json(request)).cleaned()["text"]
    return no_store(HttpResponse(svg_qr(text), content_type="image/svg+xml"))


@require_GET
def connections_page(request):
    """Serve the Connections page to an owner device; tell anyone else how to get there."""
    session = request.device_session
    if session is None or not session.has_scope(ADMIN):
        status = 401 if session is None else 403
        return no_store(render(request, "endpoints/not_allowed.html", {"session": session}, status=status))
    return no_store(render(request, "endpoints/connections.html"))

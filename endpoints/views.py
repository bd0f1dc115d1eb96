"""The endpoints API (docs/contract.md §6) and the Connections page. Views parse, call, answer."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from endpoints import serving, tailscale
from endpoints.advertised import advertised, current_listening, network_access
from endpoints.descriptor import describe, environment_id
from endpoints.discovery import PREFERENCE_KEYS, is_known_preference_key
from endpoints.listening import BindError, current_listener
from endpoints.models import BIND_HOSTS, NETWORK_MODES, ConnectionSettings
from endpoints.qr import QR_TEXT_MAX_CHARS, svg_qr
from endpoints.verification import verify_cached
from pairing.decorators import session_required
from pairing.scopes import ADMIN
from t3site.http import BadRequest, answer, error, no_store, open_cors, read_json

LOOPBACK_KEY = PREFERENCE_KEYS["loopback"]


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
    key = read_json(request).get("preferenceKey")
    if not isinstance(key, str) or not is_known_preference_key(key):
        raise BadRequest(
            "preferenceKey must be core:lan:http, tailscale:ip:http, tailscale:magicdns:https or custom:<https url>"
        )
    if key == LOOPBACK_KEY:
        raise BadRequest("loopback reaches this machine only: it cannot be the default for other devices")
    ConnectionSettings.objects.choose_default(key)
    return answer(advertised())


@open_cors("POST, OPTIONS")
@session_required(ADMIN)
def tailscale_serve(request):
    """Put Tailscale Serve's HTTPS in front of this server and say whether it verified yet.

    Set up is not "done" until the URL answers as this server: the answer's
    ``verification`` is that check (the one the endpoint row shows), so the page
    can say what is still unverified instead of reporting success.
    """
    https_port = read_json(request).get("httpsPort", tailscale.DEFAULT_HTTPS_PORT)
    if not isinstance(https_port, int) or not 1 <= https_port <= 65535:
        raise BadRequest("httpsPort must be a port number")
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
@session_required(ADMIN)
def network_access_view(request):
    """Show, or change, whether the server listens on 127.0.0.1 or on every interface."""
    listening = current_listening()
    if request.method == "GET":
        return answer({"networkAccess": network_access(listening)})
    mode = read_json(request).get("mode")
    if mode not in NETWORK_MODES:
        raise BadRequest(f"mode must be {' or '.join(NETWORK_MODES)}")
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
    text = read_json(request).get("text")
    if not isinstance(text, str) or not text or len(text) > QR_TEXT_MAX_CHARS:
        raise BadRequest(f"text must be a string of 1 to {QR_TEXT_MAX_CHARS} characters")
    return no_store(HttpResponse(svg_qr(text), content_type="image/svg+xml"))


@require_GET
def connections_page(request):
    """Serve the Connections page to an owner device; tell anyone else how to get there."""
    session = request.device_session
    if session is None or not session.has_scope(ADMIN):
        status = 401 if session is None else 403
        return no_store(render(request, "endpoints/not_allowed.html", {"session": session}, status=status))
    return no_store(render(request, "endpoints/connections.html"))

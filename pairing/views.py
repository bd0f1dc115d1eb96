"""The auth API of docs/contract.md §4. Each view parses, calls one domain method, answers."""

from __future__ import annotations

from functools import wraps

from pairing import scopes as scope_rules
from pairing.auth import SESSION_COOKIE, origin_is_this_server, request_client_ip
from pairing.decorators import session_required
from pairing.forms import PairForm, PairingLinkForm, RenameForm, TicketForm
from pairing.links import pairing_url
from pairing.models import (
    CredentialError,
    DeviceSession,
    PairingCredential,
    WebSocketTicket,
)
from pairing.ratelimit import RateLimited, auth_failures
from pairing.tokens import MalformedToken
from t3site.clock import iso
from t3site.http import BadRequest, answer, error, open_cors, read_json


def _rate_limited(retry_after: int):
    return error(
        "rate_limited",
        f"too many failed attempts from this address: try again in {retry_after} seconds",
        429,
        headers={"Retry-After": str(retry_after)},
    )


def _session_answer(session: DeviceSession, token: str | None = None) -> dict:
    data = {
        "sessionId": session.id,
        "role": session.role,
        "scopes": session.scopes,
        "expiresAt": iso(session.expires_at),
    }
    if token is not None:
        data["sessionToken"] = token
    return data


@open_cors("POST, OPTIONS")
def pair(request):
    """Exchange a one-time pairing token for a device session (cookie or bearer mode)."""
    ip = request_client_ip(request)
    body = PairForm(read_json(request)).cleaned()
    mode = body["mode"]
    origin = request.headers.get("Origin")
    if mode == "cookie" and origin and not origin_is_this_server(origin, request.get_host()):
        return error("forbidden_origin", "cookie mode is for this server's own pages; use bearer mode", 403)
    try:
        attempt = auth_failures.attempt(ip)
    except RateLimited as exc:
        return _rate_limited(exc.retry_after)
    try:
        session, session_token = PairingCredential.objects.claim(
            body["token"],
            label=body["label"],
            client_ip=ip,
            user_agent=request.headers.get("User-Agent", ""),
            mode=mode,
        )
    except MalformedToken as exc:
        return error("bad_request", f"malformed token: {exc}", 400)
    except CredentialError as exc:
        return error(exc.code, exc.message, 401)
    attempt.succeeded()
    if mode == "bearer":
        return answer(_session_answer(session, session_token))
    response = answer(_session_answer(session))
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        max_age=int((session.absolute_expires_at - session.created_at).total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


@open_cors("GET, OPTIONS")
def session_info(request):
    """Say whether the caller is paired, and as what (always 200)."""
    return answer(session_info_answer(request.device_session))


def session_info_answer(session: DeviceSession | None) -> dict:
    """Return what ``GET /api/auth/session`` says of ``session`` (None: not paired). pairing.fast
    builds the same answer without this view."""
    if session is None:
        return {"authenticated": False}
    return {"authenticated": True, **_session_answer(session), "label": session.label}


@open_cors("POST, OPTIONS")
@session_required()
def ws_ticket(request):
    """Return a one-use, 60-second ticket for opening /ws from any origin.

    ``{"scopes": [...]}`` narrows the ticket's socket to a subset of the caller's scopes: the
    relay (docs/contract.md §8) asks for the device's scopes there, so a device never gains here.
    """
    scopes = TicketForm(read_json(request)).cleaned()["scopes"]
    try:
        ticket, raw = WebSocketTicket.objects.issue(request.device_session, scopes)
    except scope_rules.ScopeNotHeld as exc:
        return error("insufficient_scope", str(exc), 403)
    except scope_rules.ScopeError as exc:
        raise BadRequest(str(exc)) from None
    return answer({"ticket": raw, "expiresAt": iso(ticket.expires_at)})


@open_cors("POST, OPTIONS")
@session_required()
def logout(request):
    """Revoke the calling session (and close its sockets)."""
    request.device_session.revoke("logged out")
    response = answer({"revoked": True})
    response.delete_cookie(SESSION_COOKIE, samesite="Lax")
    return response


@open_cors("GET, POST, OPTIONS")
def pairing_links(request):
    """List pairing links (GET), or create one (POST)."""
    return {"GET": _list_links, "POST": _create_link}[request.method](request)


@session_required(scope_rules.ADMIN)
def _list_links(request):
    return answer({"pairingLinks": [link.as_dict() for link in PairingCredential.objects.all()[:500]]})


@session_required(scope_rules.ADMIN)
def _create_link(request):
    """Mint a link; its ``pairingUrl`` is for ``baseUrl`` (an endpoint of this server) or this request's address."""
    body = PairingLinkForm(read_json(request)).cleaned()
    try:
        link, code = PairingCredential.objects.issue(
            role=body["role"],
            scopes=body["scopes"],
            label=body["label"],
            ttl_seconds=body["ttl"],
            created_by=request.device_session,
        )
    except scope_rules.GrantError as exc:
        raise BadRequest(str(exc)) from None
    base_url = body["baseUrl"] or f"{request.scheme}://{request.get_host()}"
    return answer({**link.as_dict(), "token": code, "pairingUrl": pairing_url(base_url, code)}, status=201)


@open_cors("DELETE, OPTIONS")
@session_required(scope_rules.ADMIN)
def pairing_link(request, link_id: str):
    """Revoke one pairing link."""
    link = PairingCredential.objects.filter(pk=link_id).first()
    if link is None:
        return error("not_found", f"no pairing link {link_id}", 404)
    return answer({"id": link.id, "revoked": link.revoke("revoked through the API")})


@open_cors("GET, OPTIONS")
@session_required(scope_rules.ADMIN)
def sessions(request):
    """List live device sessions, the caller's own marked current."""
    current = request.device_session.id
    return answer({"sessions": [s.as_dict(current) for s in DeviceSession.objects.active()[:500]]})


@open_cors("PATCH, DELETE, OPTIONS")
def session_detail(request, session_id: str):
    """Rename a device (PATCH {"label"}), or revoke another device's session (DELETE)."""
    return {"PATCH": _rename_session, "DELETE": _revoke_session}[request.method](request, session_id)


def _session(view):
    """Call ``view(request, session)`` with the session ``session_id``, or answer 404."""

    @wraps(view)
    def wrapper(request, session_id: str):
        session = DeviceSession.objects.filter(pk=session_id).first()
        if session is None:
            return error("not_found", f"no session {session_id}", 404)
        return view(request, session)

    return wrapper


@session_required(scope_rules.ADMIN)
@_session
def _rename_session(request, session: DeviceSession):
    # The form refuses a missing or blank label, so rename() has a name to give.
    session.rename(RenameForm(read_json(request)).cleaned()["label"])
    return answer(session.as_dict(request.device_session.id))


@session_required(scope_rules.ADMIN)
@_session
def _revoke_session(request, session: DeviceSession):
    if session.id == request.device_session.id:
        return error("operation_forbidden", "this is the session you are using: log out instead", 403)
    return answer({"id": session.id, "revoked": session.revoke("revoked through the API")})


@open_cors("POST, OPTIONS")
@session_required(scope_rules.ADMIN)
def revoke_others(request):
    """Revoke every session but the caller's."""
    count = DeviceSession.objects.exclude(pk=request.device_session.id).revoke("revoked with revoke-others")
    return answer({"revokedCount": count})

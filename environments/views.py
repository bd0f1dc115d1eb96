"""The /pair and /environments pages, the saved-environments API (docs/contract.md §7) and SSH launch.

The API is CORS ``*`` like the rest of t3site's API: a bearer token is never
sent by the browser on its own, so a foreign page can only use one it already
holds, and the session cookie is refused from any Origin but this server's
(pairing.auth). See docs/environments.md.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from environments.hosts import BadAddress, normalize_host, ws_base_url
from environments.models import Environment, RouteChangeRefused
from environments.ssh.client import SSHError, UnknownHostKey, never_ask
from environments.ssh.service import launch_and_pair
from environments.ssh.target import DEFAULT_REMOTE_DIR, TargetError
from pairing.decorators import session_required
from pairing.scopes import ADMIN, READ, WRITE
from t3site import csp
from t3site.http import BadRequest, answer, error, no_store, open_cors, read_json
from t3site.ids import LABEL_MAX_LENGTH

ENVIRONMENT_ID_MAX_LENGTH = 64


def _page(request, template: str):
    response = render(request, template)
    # The pages handle pairing tokens (in the fragment) and bearer tokens (in storage):
    # no referrer leaves them and no cache keeps them.
    response["Referrer-Policy"] = "no-referrer"
    return no_store(response)


def _saved_backends(request) -> list[str]:
    """Return the sources of the environments this server saved, for a session that may list them."""
    session = request.device_session
    if session is None or not session.has_scope(READ):
        return []  # the policy header must not tell anybody else where they are
    origins = {csp.backend_origin(environment.http_base_url) for environment in Environment.objects.all()}
    return [source for origin in sorted(origins - {None}) for source in csp.backend_sources(origin)]


@require_GET
@csp.extend(connect_src=csp.named_backends)
def pair_page(request):
    """Serve the pairing page. The token stays in the URL fragment: it never reaches this server."""
    return _page(request, "environments/pair.html")


@require_GET
@csp.extend(connect_src=lambda request: csp.named_backends(request) + _saved_backends(request))
def environments_page(request):
    """Serve the list of saved environments (this browser's and this server's, merged by the page)."""
    return _page(request, "environments/list.html")


def _label(body: dict, required: bool) -> str:
    label = body.get("label")
    if label is None and not required:
        return ""
    if not isinstance(label, str) or not label.strip():
        raise BadRequest("label must be a non-empty string")
    return label.strip()[:LABEL_MAX_LENGTH]


def _ssh(body: dict) -> dict | None:
    ssh = body.get("ssh")
    if ssh is None:
        return None
    if not isinstance(ssh, dict) or not isinstance(ssh.get("host"), str) or not ssh["host"]:
        raise BadRequest('ssh must be {"host", "port"?, "user"?}')
    port, user = ssh.get("port"), ssh.get("user", "")
    if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
        raise BadRequest("ssh.port must be a port number")
    if not isinstance(user, str):
        raise BadRequest("ssh.user must be a string")
    return {"host": ssh["host"], "port": port, "user": user}


def _paired_environment(body: dict) -> dict:
    """Return the manager arguments for a POSTed environment, or raise BadRequest."""
    if "sessionToken" in body:
        # The browser that paired keeps its credential; this server must never see it.
        raise BadRequest("do not send sessionToken: a browser keeps its own credentials")
    environment_id = body.get("environmentId")
    if not isinstance(environment_id, str) or not 0 < len(environment_id) <= ENVIRONMENT_ID_MAX_LENGTH:
        raise BadRequest(f"environmentId must be a string of 1 to {ENVIRONMENT_ID_MAX_LENGTH} characters")
    try:
        http_base_url = normalize_host(body.get("httpBaseUrl") if isinstance(body.get("httpBaseUrl"), str) else "")
    except BadAddress as exc:
        raise BadRequest(f"httpBaseUrl: {exc}") from None
    expected_ws = ws_base_url(http_base_url)
    ws = body.get("wsBaseUrl", expected_ws)
    if not isinstance(ws, str) or ws.rstrip("/") != expected_ws:
        raise BadRequest(f"wsBaseUrl must be {expected_ws}, the WebSocket address of httpBaseUrl")
    kind = body.get("kind", Environment.DIRECT)
    if kind not in (Environment.DIRECT, Environment.SSH):
        raise BadRequest('kind must be "direct" or "ssh"')
    ssh = _ssh(body)
    if (kind == Environment.SSH) != (ssh is not None):
        raise BadRequest('an "ssh" environment needs ssh {"host", "port", "user"}; a direct one has none')
    return {
        "environment_id": environment_id,
        # Without a label, an entry keeps its own (a new one is named by its environmentId).
        "label": _label(body, required=False),
        "http_base_url": http_base_url,
        "ws_base_url": expected_ws,
        "kind": kind,
        "ssh": ssh,
    }


def _lacks_scope(request, *also: str):
    """Return the refusal for a session without the scopes this method needs (read to look, write to change)."""
    for needed in (READ if request.method == "GET" else WRITE, *also):
        if not request.device_session.has_scope(needed):
            return error("insufficient_scope", f"this device's session lacks the {needed!r} scope", 403)
    return None


@open_cors("GET, POST, OPTIONS")
@session_required()
def environment_list(request):
    """List saved environments, or save one that was just paired (create, or update by environmentId).

    ``write`` may add a direct environment and rename one; changing where a saved one is
    reached (address, kind, SSH target) or adding an SSH one needs ``admin`` too: browsers
    send their bearer token for an environment to its address (docs/environments.md).
    """
    if refusal := _lacks_scope(request):
        return refusal
    if request.method == "GET":
        return answer({"environments": [environment.as_dict() for environment in Environment.objects.all()]})
    may_route = request.device_session.has_scope(ADMIN)
    try:
        environment, created = Environment.objects.save_paired(
            **_paired_environment(read_json(request)), may_route=may_route
        )
    except RouteChangeRefused as exc:
        return error("insufficient_scope", str(exc), 403)
    return answer(environment.as_dict(), status=201 if created else 200)


@open_cors("GET, PATCH, DELETE, OPTIONS")
@session_required()
def environment_detail(request, key: str):
    """Show, rename ({"label"}) or remove one saved environment, found by id or environmentId.

    Removing logs out the session this server holds there (best effort). Removing an SSH
    environment needs ``admin`` too: it logs in to that machine with this server's SSH keys.
    """
    if refusal := _lacks_scope(request):
        return refusal
    environment = Environment.objects.find(key)
    if environment is None:
        return error("not_found", f"no saved environment {key}", 404)
    if request.method == "PATCH":
        environment.rename(_label(read_json(request), required=True))
    elif request.method == "DELETE":
        if environment.kind == Environment.SSH and (refusal := _lacks_scope(request, ADMIN)):
            return refusal
        removed = {"id": environment.id, "environmentId": environment.environment_id, "removed": True}
        # Nobody is at a terminal to type a passphrase: a key that needs one fails to stop the
        # remote server, and the message says so.
        if message := environment.remove(ask=never_ask).message:
            removed["message"] = message
        return answer(removed)
    return answer(environment.as_dict())


def _ssh_launch(body: dict) -> dict:
    """Return launch_and_pair's arguments for a POSTed SSH target, or raise BadRequest."""
    target = body.get("target")
    if not isinstance(target, str) or not target.strip():
        raise BadRequest('target must be "[user@]host"')
    port = body.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536):
        raise BadRequest("port must be a port number")
    optional = {name: body.get(name) or None for name in ("identity", "remoteDir")}
    if any(value is not None and not isinstance(value, str) for value in optional.values()):
        raise BadRequest("identity and remoteDir must be paths")
    # The page sends the fingerprint it showed the user: a different key is never recorded.
    accept = body.get("acceptNewHostKey") or False
    if accept is not False and not (isinstance(accept, str) and accept.startswith("SHA256:")):
        raise BadRequest("acceptNewHostKey must be the SHA256: fingerprint you approved")
    return {
        "text": target.strip(),
        "port": port,
        "identity": optional["identity"],
        "label": _label(body, required=False) or None,
        "remote_dir": optional["remoteDir"] or DEFAULT_REMOTE_DIR,
        "accept_new_host_key": accept,
    }


@open_cors("POST, OPTIONS")
@session_required()
def environment_ssh(request):
    """Launch or reuse t3site over SSH, forward to it, pair and save it: `environments ssh` for the web client.

    Needs admin as well as write: it logs in elsewhere with this server's SSH keys and starts
    programs there. It runs in the request (a few seconds, up to a minute on a slow link);
    every step is bounded (docs/ssh.md), so it always answers. Nothing can be asked
    interactively: a key with a passphrase must be in the agent.
    """
    if refusal := _lacks_scope(request, ADMIN):
        return refusal
    try:
        connected = launch_and_pair(**_ssh_launch(read_json(request)), ask=never_ask)
    except UnknownHostKey as exc:
        # The contract's error shape, plus the fingerprint for the page's "trust this key" step.
        refusal = {
            "code": "unknown_host_key",
            "message": f"this machine's host key is not known yet: its fingerprint is {exc.fingerprint}. "
            "Check it with the machine's owner before trusting it.",
            "details": {"fingerprint": exc.fingerprint},
        }
        return answer({"error": refusal}, status=409)
    except TargetError as exc:
        return error("bad_target", str(exc), 400)
    except SSHError as exc:
        return error("ssh_failed", str(exc), 502)
    # This process's `serve` forward registry opens its own forward on the saved port within seconds.
    connected.forward.close()
    return answer(connected.environment.as_dict(), status=201 if connected.created else 200)

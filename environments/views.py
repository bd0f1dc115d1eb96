"""The /pair and /environments pages, the saved-environments API (docs/contract.md §7) and SSH launch.

The API is CORS ``*`` like the rest of t3site's API: a bearer token is never
sent by the browser on its own, so a foreign page can only use one it already
holds, and the session cookie is refused from any Origin but this server's
(pairing.auth). See docs/environments.md.
"""

from __future__ import annotations

from functools import wraps

from django.shortcuts import render
from django.views.decorators.http import require_GET

from environments.forms import RenameForm, SavedEnvironmentForm, SSHLaunchForm
from environments.models import Environment, RouteChangeRefused
from environments.ssh.client import SSHError, UnknownHostKey, never_ask
from environments.ssh.service import launch_and_pair
from environments.ssh.target import TargetError
from pairing.decorators import session_required
from pairing.scopes import ADMIN, READ, WRITE
from t3site import csp
from t3site.http import answer, error, no_store, open_cors, read_json


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


@open_cors("GET, POST, OPTIONS")
def environment_list(request):
    """List saved environments (GET, read), or save one that was just paired (POST, write)."""
    return {"GET": _list, "POST": _save}[request.method](request)


@session_required(READ)
def _list(request):
    return answer({"environments": [environment.as_dict() for environment in Environment.objects.all()]})


@session_required(WRITE)
def _save(request):
    """Create, or update by environmentId, an environment a browser has just paired with.

    ``write`` may add a direct environment and rename one; changing where a saved one is
    reached (address, kind, SSH target) or adding an SSH one needs ``admin`` too: browsers
    send their bearer token for an environment to its address (docs/environments.md).
    """
    saved = SavedEnvironmentForm(read_json(request)).cleaned()
    try:
        environment, created = Environment.objects.save_paired(
            **saved, may_route=request.device_session.has_scope(ADMIN)
        )
    except RouteChangeRefused as exc:
        return error("insufficient_scope", str(exc), 403)
    return answer(environment.as_dict(), status=201 if created else 200)


@open_cors("GET, PATCH, DELETE, OPTIONS")
def environment_detail(request, key: str):
    """Show (GET, read), rename (PATCH {"label"}, write) or remove (DELETE, write) one saved environment."""
    return {"GET": _show, "PATCH": _rename, "DELETE": _remove}[request.method](request, key)


def _environment(view):
    """Call ``view(request, environment)`` with the environment whose id or environmentId is ``key``, or answer 404."""

    @wraps(view)
    def wrapper(request, key: str):
        environment = Environment.objects.find(key)
        if environment is None:
            return error("not_found", f"no saved environment {key}", 404)
        return view(request, environment)

    return wrapper


@session_required(READ)
@_environment
def _show(request, environment: Environment):
    return answer(environment.as_dict())


@session_required(WRITE)
@_environment
def _rename(request, environment: Environment):
    environment.rename(RenameForm(read_json(request)).cleaned()["label"])
    return answer(environment.as_dict())


@session_required(WRITE)
@_environment
def _remove(request, environment: Environment):
    """Remove it and log out the session this server holds there (best effort)."""
    if environment.kind == Environment.SSH:
        return _remove_over_ssh(request, environment)
    return _removed(environment)


@session_required(ADMIN)
def _remove_over_ssh(request, environment: Environment):
    """Removing an SSH environment needs ``admin`` too: it logs in to that machine with this server's SSH keys."""
    return _removed(environment)


def _removed(environment: Environment):
    removed = {"id": environment.id, "environmentId": environment.environment_id, "removed": True}
    # Nobody is at a terminal to type a passphrase: a key that needs one fails to stop the
    # remote server, and the message says so.
    if message := environment.remove(ask=never_ask).message:
        removed["message"] = message
    return answer(removed)


@open_cors("POST, OPTIONS")
@session_required(WRITE)
@session_required(ADMIN)
def environment_ssh(request):
    """Launch or reuse t3site over SSH, forward to it, pair and save it: `environments ssh` for the web client.

    Needs admin as well as write: it logs in elsewhere with this server's SSH keys and starts
    programs there. It runs in the request (a few seconds, up to a minute on a slow link, minutes
    more with ``"install": true`` on a machine without t3site);
    every step is bounded (docs/ssh.md), so it always answers. Nothing can be asked
    interactively: a key with a passphrase must be in the agent.
    """
    try:
        connected = launch_and_pair(**SSHLaunchForm(read_json(request)).cleaned(), ask=never_ask)
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
    connected.close()
    return answer(connected.environment.as_dict(), status=201 if connected.created else 200)

"""Undo an SSH environment that is being removed: its forward, its session, the server the launcher started.

Hung on environments.signals.environment_removing from the app's ready(): the model
announces the removal and knows nothing of SSH, and this package, which builds on the
model, does its part. A direct environment is not this module's business.
"""

from __future__ import annotations

from dataclasses import dataclass

from environments import credentials
from environments.backend_pairing import log_out
from environments.models import Environment
from environments.signals import environment_removing
from environments.ssh import store
from environments.ssh.client import Ask, Connection, SSHError, ask_at_terminal, connect
from environments.ssh.forward import Forward
from environments.ssh.remote_host import RemoteT3site
from environments.ssh.server_forwards import forwards
from environments.ssh.service import target_of


@dataclass(frozen=True)
class Stopped:
    stopped: bool
    mode: str | None
    message: str


def stop_environment(environment: Environment, *, ask: Ask = ask_at_terminal) -> Stopped:
    """Close the forward, log the session out, and stop the remote server only if the launcher started it.

    Call it before deleting the Environment: it needs the saved route and credential.
    A server that was already running when the launcher found it (external) keeps running.
    """
    route = store.get(environment.environment_id)
    # Forget the route before closing the forward: the `serve` process's reconcile would otherwise
    # open it again meanwhile, and its reconnect starts the remote server this is about to stop.
    store.delete(environment.environment_id)
    forwards.close(environment.environment_id)
    if environment.kind != Environment.SSH or route is None:
        return Stopped(False, None, "No SSH launch record here: nothing to stop on the remote.")
    target = target_of(environment, route)
    try:
        connection = connect(target, ask=ask)
    except SSHError as exc:
        return Stopped(False, route.mode, f"Could not reach {target.display} to stop its server: {exc}")
    try:
        remote = RemoteT3site(connection, route.remote_dir)
        _log_out_through(connection, remote, environment)
        answer = remote.stop_server()
    except SSHError as exc:
        return Stopped(False, route.mode, f"Could not stop the server on {target.display}: {exc}")
    finally:
        connection.close()
    if answer.get("stopped"):
        return Stopped(True, "managed", f"Stopped the t3site server on {target.display} (the launcher started it).")
    return Stopped(False, answer.get("mode"), f"Left the t3site server on {target.display} running (not ours to stop).")


def _log_out_through(connection: Connection, remote: RemoteT3site, environment: Environment) -> None:
    """Revoke this machine's session on the remote, through a short-lived forward."""
    token = credentials.get(environment.environment_id)
    remote_port = remote.running_port()
    if token is None or remote_port is None:
        return
    forward = Forward(lambda: (connection, remote_port), 0, environment.label)
    forward.start((connection, remote_port))
    try:
        log_out(forward.url, token)
    finally:
        forward.close(keep_link=True)


def _on_environment_removing(sender, *, environment: Environment, ask: Ask, **_) -> str | None:
    if environment.kind != Environment.SSH:
        return None
    # Its backend is reached through SSH here, not through its forward (which may be closed).
    return stop_environment(environment, ask=ask).message


def connect_signals() -> None:
    """Stop SSH environments when they are removed (call once, from the app's ready())."""
    environment_removing.connect(_on_environment_removing, dispatch_uid="environments.ssh.teardown")

"""Launch or reuse t3site over SSH, pair through a forward, save the environment; reach it again.

The steps of docs/contract.md §2's `environments ssh`, shared by the command, the
API, the forwards the `serve` process keeps (environments.ssh.server_forwards) and
the teardown of a removed environment (environments.ssh.teardown).
"""

from __future__ import annotations

import errno
import shlex
import socket
from dataclasses import dataclass
from pathlib import Path

from environments.backend_pairing import BackendError, fetch_descriptor
from environments.models import Environment
from environments.ssh import store
from environments.ssh.client import Ask, Connection, SSHError, ask_at_terminal, connect, never_ask
from environments.ssh.forward import LISTEN_HOST, Forward
from environments.ssh.install import Say
from environments.ssh.install import install as install_release
from environments.ssh.remote_host import Launch, Probe, RemoteT3site
from environments.ssh.store import SSHRoute
from environments.ssh.target import DEFAULT_REMOTE_DIR, DEFAULT_SSH_PORT, Target, resolve

FREE_PORT_ATTEMPTS = 5


@dataclass
class Connected:
    """A paired SSH environment and the forward that reached it (open until the caller closes it).

    ``forward`` is None when the saved port was already forwarded to this environment (by
    `serve` or `--forward-only`): the pairing went through that one, which stays open.
    """

    environment: Environment
    created: bool
    target: Target
    probe: Probe
    launch: Launch
    forward: Forward | None

    def close(self) -> None:
        if self.forward is not None:
            self.forward.close()


def _relink(target: Target, remote_dir: str, ask: Ask) -> tuple[Connection, int]:
    """Return a new connection and the port of the remote server, starting it if it is not running."""
    connection = connect(target, ask=ask)
    try:
        return connection, RemoteT3site(connection, remote_dir).ensure_server().port
    except BaseException:
        connection.close()
        raise


def _start_forward(forward_for, wanted_port: int, first: tuple[Connection, int], avoid: set[int]) -> Forward:
    """Start a forward on ``wanted_port``, or on a free port when that one is taken."""
    ports = [wanted_port] if wanted_port else []
    ports += [0] * FREE_PORT_ATTEMPTS
    for port in ports:
        forward = forward_for(port)
        try:
            forward.start(first)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            continue
        if forward.local_port not in avoid:
            return forward
        forward.close(keep_link=True)
    raise SSHError("no free local port for the forward")


def _forwarded_already(port: int, environment_id: str) -> bool:
    """Return whether 127.0.0.1:``port`` answers as ``environment_id``: a forward this machine keeps open."""
    if not port:
        return False
    try:
        with socket.create_connection((LISTEN_HOST, port), timeout=1):
            pass
        return fetch_descriptor(f"http://{LISTEN_HOST}:{port}").get("environmentId") == environment_id
    except (OSError, BackendError):
        return False


def launch_and_pair(
    text: str,
    *,
    port: int | None = None,
    identity: str | None = None,
    label: str | None = None,
    remote_dir: str = DEFAULT_REMOTE_DIR,
    accept_new_host_key: bool | str = False,
    install: bool = False,
    ask: Ask = ask_at_terminal,
    say: Say = lambda line: None,
) -> Connected:
    """Start or reuse t3site at ``text`` ([USER@]HOST), forward to it, pair as owner and save it.

    With ``install``, a remote where the probe finds t3site missing gets this server's
    release first (environments.ssh.install), its progress told on ``say``.

    The one-time token is minted by the remote's own `auth pairing create` over SSH and
    exchanged through the forward, so it never crosses a network in the clear. Running
    this again for a saved target mints a new token and replaces the stored session.
    """
    identity = str(Path(identity).expanduser().resolve()) if identity else None
    target = resolve(text, port=port, identity=identity)
    connection = connect(target, accept_new_host_key=accept_new_host_key, ask=ask)
    try:
        remote = RemoteT3site(connection, remote_dir)
        probe = remote.probe()
        if install and remote.missing(probe):
            install_release(remote, probe, say)
            probe = remote.probe()
        probe = remote.check_installed(probe)
        launch = remote.ensure_server()
        route = store.get(launch.environment_id)
        saved_port = route.local_port if route else 0
        forward = None
        if not _forwarded_already(saved_port, launch.environment_id):
            # The saved port when it is free, so the addresses browsers saved stay right; another when it is not.
            forward = _start_forward(
                lambda local: Forward(lambda: _relink(target, remote_dir, never_ask), local, target.display),
                saved_port,
                (connection, launch.port),
                store.ports_in_use(excluding=launch.environment_id),
            )
    except BaseException:
        connection.close()
        raise
    local_port = forward.local_port if forward else saved_port
    try:
        code = remote.mint_pairing_token(_device_label())
        if forward is None:
            connection.close()  # the forward already open carries the pairing
        environment, created, _ = Environment.objects.pair(
            f"http://{LISTEN_HOST}:{local_port}",
            code,
            device_label=_device_label(),
            where=target.display,
            # Without --label a saved target keeps its name (docs/environments.md).
            label=label or "",
            kind=Environment.SSH,
            ssh={"host": target.alias, "port": target.port, "user": target.user},
            environment_id=launch.environment_id,
        )
        store.put(
            launch.environment_id,
            SSHRoute(local_port, remote_dir, target.launch_key, identity, launch.mode),
        )
    except BaseException as exc:
        if forward is not None:
            forward.close()
        else:
            connection.close()
        if isinstance(exc, BackendError):
            raise SSHError(f"pairing through the forward failed: {exc}") from None
        raise
    return Connected(environment, created, target, probe, launch, forward)


def _device_label() -> str:
    return f"t3site on {socket.gethostname()} (ssh)"


def launch_command(user: str, host: str, port: int | None, *extra: str) -> str:
    """Return the `environments ssh` command line for ``user@host``, with ``--port`` when it is not 22."""
    words = ["manage.py", "environments", "ssh", *extra, f"{user}@{host}"]
    if port and port != DEFAULT_SSH_PORT:
        words += ["--port", str(port)]
    return shlex.join(words)


def target_of(environment: Environment, route: SSHRoute) -> Target:
    return resolve(f"{environment.ssh_user}@{environment.ssh_host}", port=environment.ssh_port, identity=route.identity)


def route_of(environment: Environment) -> SSHRoute:
    route = store.get(environment.environment_id)
    if environment.kind != Environment.SSH or route is None:
        raise SSHError(
            f"{environment.label!r} was not launched over SSH from this machine: "
            f"run `{launch_command(environment.ssh_user, environment.ssh_host, environment.ssh_port)}` again"
        )
    return route


def open_forward(environment: Environment, *, ask: Ask = never_ask) -> Forward:
    """Forward the saved SSH environment's local port again (starting its remote server if needed).

    ``ask`` is used for the first connection only; reconnects after a drop never ask.
    """
    route = route_of(environment)
    target = target_of(environment, route)
    first = _relink(target, route.remote_dir, ask)
    forward = Forward(lambda: _relink(target, route.remote_dir, never_ask), route.local_port, environment.label)
    try:
        forward.start(first)
    except OSError as exc:
        first[0].close()
        raise SSHError(
            f"local port {route.local_port} for {environment.label!r} is taken ({exc.strerror}): "
            "is `manage.py serve` or another `--forward-only` already forwarding it?"
        ) from None
    return forward

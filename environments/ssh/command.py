"""`manage.py environments ssh`: the parser and the handler, hooked into the environments command."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser

from django.core.management.base import CommandError

from environments.models import Environment
from environments.ssh.client import SSHError, ask_at_terminal
from environments.ssh.service import Connected, launch_and_pair, launch_command, open_forward
from environments.ssh.target import DEFAULT_REMOTE_DIR, TargetError, resolve

SSH_HELP = "start or reuse t3site on another machine over SSH, forward a local port to it, pair and save it"


def add_ssh_parser(subparsers) -> ArgumentParser:
    """Add the `ssh` subcommand to the environments command's subparsers and return it."""
    ssh = subparsers.add_parser(
        "ssh",
        help=SSH_HELP,
        description=(
            "Connect to [USER@]HOST with SSH (honouring ~/.ssh/config and known_hosts), reuse the t3site server "
            "running in the remote folder or start one bound to its 127.0.0.1, forward a local 127.0.0.1 port to "
            "it, pair as owner through that forward and save the environment. `manage.py serve` keeps the "
            "forward open while it runs; --forward-only keeps it open in the foreground instead."
        ),
    )
    ssh.add_argument("target", metavar="[USER@]HOST", help="the machine to reach, as you would give it to ssh")
    ssh.add_argument("--port", type=int, help="SSH port (default: ~/.ssh/config, else 22)")
    ssh.add_argument("--identity", metavar="FILE", help="private key to log in with (default: agent and ~/.ssh/id_*)")
    ssh.add_argument(
        "--label", help="a name for the environment (default: the remote server's own label and [USER@]HOST)"
    )
    ssh.add_argument(
        "--remote-dir",
        default=DEFAULT_REMOTE_DIR,
        metavar="DIR",
        help=f"t3site's folder on the remote: checkout in DIR/app, state in DIR (default {DEFAULT_REMOTE_DIR})",
    )
    ssh.add_argument(
        "--accept-new-host-key",
        action="store_true",
        help="trust the host key of a machine never connected to before and record it in known_hosts "
        "(check the fingerprint first; a changed key is always refused)",
    )
    ssh.add_argument(
        "--install",
        action="store_true",
        help="if t3site is missing there, install it first: send this server's release (git HEAD) over SFTP "
        "to DIR/app, make its venv with the remote's Python 3.11+ and pip install its requirements",
    )
    ssh.add_argument(
        "--forward-only",
        action="store_true",
        help="do not pair: forward the saved environment's local port in the foreground until Ctrl+C",
    )
    return ssh


def run_ssh(stdout, options: dict) -> None:
    """Handle `environments ssh`, printing on ``stdout``; user mistakes raise CommandError."""
    try:
        if options["forward_only"]:
            return _forward_only(stdout, options)
        connected = launch_and_pair(
            options["target"],
            port=options["port"],
            identity=options["identity"],
            label=options["label"],
            remote_dir=options["remote_dir"],
            accept_new_host_key=options["accept_new_host_key"],
            install=options["install"],
            say=lambda line: (stdout.write(line), stdout.flush()),
        )
    except (SSHError, TargetError) as exc:
        raise CommandError(str(exc)) from None
    try:
        _report(stdout, connected)
    finally:
        connected.close()


def _report(stdout, connected: Connected) -> None:
    probe, launch, environment = connected.probe, connected.launch, connected.environment
    stdout.write(f"Connected to {connected.target.display} ({probe.os} {probe.arch}, Python {probe.venv_python}).")
    if launch.started:
        stdout.write(
            f"Started t3site there (pid {launch.pid}, remote port {launch.port}): managed, "
            "so removing the environment stops it."
        )
    else:
        kept = "stops it" if launch.mode == "managed" else "leaves it running"
        stdout.write(
            f"Reusing the t3site server running there (pid {launch.pid}, remote port {launch.port}): "
            f"{launch.mode}, so removing the environment {kept}."
        )
    verb = "Saved" if connected.created else "Updated"
    stdout.write(f"{verb} {environment.label!r} as {environment.id}: {environment.http_base_url} (ssh forward).")
    target = connected.target
    stdout.write(
        "`manage.py serve` keeps the forward open while it runs; without it, run "
        f"`{launch_command(target.user, target.alias, target.port, '--forward-only')}`."
    )


def _forward_only(stdout, options: dict) -> None:
    target = resolve(options["target"], port=options["port"])
    environment = Environment.objects.filter(
        kind=Environment.SSH, ssh_host=target.alias, ssh_port=target.port, ssh_user=target.user
    ).first()
    if environment is None:
        identity = ["--identity", options["identity"]] if options["identity"] else []
        raise CommandError(
            f"no saved SSH environment for {target.display}: "
            f"run `{launch_command(target.user, target.alias, target.port, *identity)}` first"
        )
    forward = open_forward(environment, ask=ask_at_terminal)
    done = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: done.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        stdout.write(
            f"Forwarding {forward.url} to {target.display}'s t3site (remote 127.0.0.1:{forward.remote_port}). "
            "Press Ctrl+C to stop."
        )
        stdout.flush()
        while not done.wait(1):
            pass
    finally:
        forward.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    stdout.write("Forward closed.")

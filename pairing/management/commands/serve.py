"""`manage.py serve`: run the server and print how to pair with it."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

import t3site
from endpoints.addresses import is_wildcard, url_host
from endpoints.interfaces import preferred_address
from pairing.models import PairingCredential
from pairing.qr import terminal_qr
from pairing.server import BindError, bind_listener, run_daphne
from t3site import clock, home, lifecycle
from t3site.commands import StateCommand

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3773


def advertised_host(bind_host: str, family: int) -> str:
    """Return the host to print: a wildcard bind is reached by a real address, never 0.0.0.0."""
    if not is_wildcard(bind_host):
        return bind_host
    for wanted in (socket.AF_INET, socket.AF_INET6) if family == socket.AF_INET6 else (socket.AF_INET,):
        found = preferred_address(wanted)
        if found:
            return found
    return "127.0.0.1" if family == socket.AF_INET else "::1"


class Command(StateCommand):
    help = (
        "Run the t3site server (HTTP and WebSocket) in the foreground. Applies migrations, binds "
        "HOST:PORT, then prints the connection string, a one-time owner pairing token, the pairing "
        "URL and its QR code. Stops cleanly on Ctrl+C or SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument("cwd", nargs="?", help="folder the server works from (default: the current folder)")
        parser.add_argument("--host", help=f"address to listen on (default {DEFAULT_HOST}; 0.0.0.0 for every interface)")
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
        parser.add_argument("--no-qr", action="store_true", help="do not print the QR code")

    def handle(self, *args, **options):
        if options["cwd"]:
            cwd = Path(options["cwd"]).expanduser()
            if not cwd.is_dir():
                raise CommandError(f"{cwd} is not a folder")
            os.chdir(cwd)
        port = options["port"]
        if not 0 <= port <= 65535:
            raise CommandError(f"--port must be between 0 and 65535, not {port}")
        bind_host = options["host"] or DEFAULT_HOST
        try:
            listener = bind_listener(bind_host, port)
        except BindError as exc:
            raise CommandError(str(exc)) from None

        port = listener.getsockname()[1]
        host = advertised_host(bind_host, listener.family)
        origin = f"http://{url_host(host)}:{port}"
        environment_id = home.environment_id(settings.T3SITE_HOME)
        _, code = PairingCredential.objects.issue(label="serve")
        pid = os.getpid()

        def started() -> None:
            home.write_runtime(
                settings.T3SITE_HOME,
                {
                    "pid": pid,
                    "host": host,
                    "port": port,
                    "origin": origin,
                    "startedAt": clock.iso(clock.now()),
                    "environmentId": environment_id,
                    "bindHost": bind_host,
                    "cwd": os.getcwd(),
                },
            )
            self._announce(origin, code, bind_host, options["no_qr"])
            lifecycle.server_started.send(sender=self.__class__)

        def stopping() -> None:
            lifecycle.server_stopping.send(sender=self.__class__)
            home.remove_runtime(settings.T3SITE_HOME, pid)

        try:
            run_daphne(listener, started, stopping)
        finally:
            home.remove_runtime(settings.T3SITE_HOME, pid)
            listener.close()
        self.stdout.write("t3site stopped.")

    def _announce(self, origin: str, code: str, bind_host: str, no_qr: bool) -> None:
        pairing_url = f"{origin}/pair#token={code}"
        self.stdout.write(f"t3site {t3site.__version__} listening (state in {settings.T3SITE_HOME})")
        self.stdout.write(f"Connection string: {origin}")
        self.stdout.write(f"Token: {code}")
        self.stdout.write(f"Pairing URL: {pairing_url}")
        if not no_qr:
            self.stdout.write(terminal_qr(pairing_url))
        self.stdout.write("The token works once, for 5 minutes; `python manage.py pair` makes another.")
        if bind_host in ("127.0.0.1", "::1", "localhost"):
            self.stdout.write("Only this machine can connect: use --host 0.0.0.0 to reach it from other devices.")
        self.stdout.write("Press Ctrl+C to stop.")
        self.stdout.flush()

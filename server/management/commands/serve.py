"""`manage.py serve`: run the server and print how to pair with it."""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections

import t3site
from endpoints import serving, tailscale
from endpoints.addresses import is_wildcard, url_host
from endpoints.discovery import Listening
from endpoints.interfaces import preferred_address
from endpoints.listening import DEFAULT_PORT, BindError
from endpoints.models import ConnectionSettings
from endpoints.verification import verify
from pairing.lifetimes import PAIRING_TTL_SECONDS
from pairing.links import pairing_url
from pairing.models import PairingCredential
from pairing.scopes import OWNER
from server.listener import ListenerControl, bind_listener, run_daphne
from server.qr import terminal_qr
from t3site import clock, home, lifecycle
from t3site.commands import StateCommand

DEFAULT_HOST = "127.0.0.1"


def advertised_host(bind_host: str, family: int) -> str:
    """Return the host to print: a wildcard bind is reached by a real address, never 0.0.0.0."""
    if not is_wildcard(bind_host):
        return bind_host
    for wanted in (socket.AF_INET, socket.AF_INET6) if family == socket.AF_INET6 else (socket.AF_INET,):
        found = preferred_address(wanted)
        if found:
            return found
    return "127.0.0.1" if family == socket.AF_INET else "::1"


def _family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class Command(StateCommand):
    help = (
        "Run the t3site server (HTTP and WebSocket) in the foreground. Applies migrations, binds "
        "HOST:PORT, then prints the connection string, a one-time owner pairing token, the pairing "
        "URL and its QR code. With --tailscale-serve, also puts Tailscale Serve's HTTPS in front of it "
        "(undone at exit). Stops cleanly on Ctrl+C or SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument("cwd", nargs="?", help="folder the server works from (default: the current folder)")
        parser.add_argument(
            "--host",
            help=f"address to listen on (default: the saved network access mode, {DEFAULT_HOST} at first; "
            "0.0.0.0 for every interface)",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=DEFAULT_PORT,
            help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)",
        )
        parser.add_argument(
            "--tailscale-serve",
            action="store_true",
            help="map Tailscale Serve HTTPS on this machine's MagicDNS name to the server (undone at exit)",
        )
        parser.add_argument(
            "--tailscale-serve-port",
            type=int,
            default=tailscale.DEFAULT_HTTPS_PORT,
            help=f"HTTPS port for --tailscale-serve (default {tailscale.DEFAULT_HTTPS_PORT})",
        )
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
        https_port = options["tailscale_serve_port"]
        if not 1 <= https_port <= 65535:
            raise CommandError(f"--tailscale-serve-port must be between 1 and 65535, not {https_port}")
        explicit_host = bool(options["host"])
        bind_host = options["host"] or ConnectionSettings.objects.current().bind_host
        refusal = serving.unreachable_for_serve(bind_host) if options["tailscale_serve"] else None
        if refusal:
            raise CommandError(f"--tailscale-serve: {refusal} Use --host 127.0.0.1 or --host 0.0.0.0.")
        try:
            listener = bind_listener(bind_host, port)
        except BindError as exc:
            raise CommandError(str(exc)) from None

        port = listener.getsockname()[1]
        state = settings.T3SITE_HOME
        environment_id = home.environment_id(state)
        pid = os.getpid()
        started_at = clock.iso(clock.now())

        def write_runtime(control: ListenerControl) -> str:
            host = advertised_host(control.bind_host, _family(control.bind_host))
            origin = f"http://{url_host(host)}:{control.port}"
            home.write_runtime(
                state,
                {
                    "pid": pid,
                    "host": host,
                    "port": control.port,
                    "origin": origin,
                    "startedAt": started_at,
                    "environmentId": environment_id,
                    "bindHost": control.bind_host,
                    "explicitHost": explicit_host,
                    "cwd": os.getcwd(),
                },
            )
            return origin

        def rebound(control: ListenerControl, failure: BindError | None) -> None:
            # Also after a failed move: the server may be back on its old address but another port.
            write_runtime(control)
            if failure is None:
                where = f"{url_host(control.bind_host)}:{control.port}"
                self.stdout.write(f"Network access changed: now listening on {where}")
                self.stdout.flush()

        control = ListenerControl(bind_host, explicit_host=explicit_host, on_rebound=rebound)
        try:
            https_url = None
            if options["tailscale_serve"]:
                https_url = self._map_tailscale(state, port, https_port)
            _, code = PairingCredential.objects.issue(role=OWNER)

            def started() -> None:
                origin = write_runtime(control)
                self._announce(origin, code, options["no_qr"])
                if https_url:
                    # The check goes through Tailscale to this very server, which answers only once
                    # this callback has returned to the reactor: the rest is printed from a thread.
                    threading.Thread(
                        target=self._announce_https,
                        args=(https_url, port, code, environment_id, bind_host, explicit_host),
                        daemon=True,
                    ).start()
                else:
                    self._announce_reach(bind_host, explicit_host, tailscale_serve=False)
                lifecycle.server_started.send(sender=self.__class__)

            def stopping() -> None:
                lifecycle.server_stopping.send(sender=self.__class__)
                home.remove_runtime(state, pid)

            run_daphne(listener, started, stopping, control)
        finally:
            home.remove_runtime(state, pid)
            listener.close()
            # Here, not in stopping(): also when daphne never started. Every port this server
            # listened on counts, since a move to another port leaves the first one's mappings.
            for undone in serving.undo_made(state, [port, *control.ports]):
                self.stdout.write(f"Tailscale Serve on port {undone} undone.")
        self.stdout.write("t3site stopped.")
        # Everything the server made is undone and written: leave now. Interpreter finalization
        # after the reactor and an agent session's threads have stopped sometimes crashed (SIGSEGV,
        # root cause not found yet), which turned a clean stop into exit code -11.
        connections.close_all()
        self.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    def _map_tailscale(self, state: Path, port: int, https_port: int) -> str:
        try:
            return serving.set_up(state, port, https_port)
        except tailscale.TailscaleError as exc:
            raise CommandError(f"--tailscale-serve: {exc.message}") from None

    def _announce(self, origin: str, code: str, no_qr: bool) -> None:
        link = pairing_url(origin, code)
        self.stdout.write(f"t3site {t3site.__version__} listening (state in {settings.T3SITE_HOME})")
        self.stdout.write(f"Connection string: {origin}")
        self.stdout.write(f"Token: {code}")
        self.stdout.write(f"Pairing URL: {link}")
        if not no_qr:
            self.stdout.write(terminal_qr(link))
        minutes = PAIRING_TTL_SECONDS // 60
        self.stdout.write(f"The token works once, for {minutes} minutes; `python manage.py pair` makes another.")
        self.stdout.flush()

    def _announce_https(
        self, https_url: str, local_port: int, code: str, environment_id: str, bind_host: str, explicit_host: bool
    ) -> None:
        """Print the Tailscale HTTPS link and whether it reaches this server, then the closing lines."""
        self.stdout.write(f"Tailscale Serve: {https_url} -> {tailscale.local_target(local_port)}")
        self.stdout.write(f"HTTPS pairing URL: {pairing_url(https_url, code)}")
        self.stdout.flush()
        checked = verify(https_url, environment_id)
        self.stdout.write(("Verified: " if checked.ok else "Not verified yet: ") + checked.reason)
        self._announce_reach(bind_host, explicit_host, tailscale_serve=True)

    def _announce_reach(self, bind_host: str, explicit_host: bool, tailscale_serve: bool) -> None:
        """Say who can connect and how to let other devices in, then how to stop."""
        if Listening(bind_host, 0).local_only:
            if tailscale_serve:
                self.stdout.write(
                    "Devices on your tailnet connect through the HTTPS pairing URL; "
                    "the plain HTTP address is for this machine only."
                )
            else:
                # Flags first: whoever reads this may be on a headless machine with no browser.
                page = (
                    ""
                    if explicit_host
                    else ", or turn on network access on the Connections page (/settings/connections/)"
                )
                self.stdout.write(
                    "Only this machine can connect. To reach it from other devices, restart with --host 0.0.0.0 "
                    f'(every network) or --host "$(tailscale ip -4)" (your tailnet only){page}.'
                )
        self.stdout.write("Press Ctrl+C to stop.")
        self.stdout.flush()

"""`manage.py pair`: a fresh pairing link for the server that runs now."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError

from endpoints import serving
from endpoints import tailscale as ts
from endpoints.descriptor import environment_id
from endpoints.verification import verify
from pairing import scopes as scope_rules
from pairing.grants import LINK_LABEL_HELP, add_grant_options, issue_link, link_document, link_summary, parse_ttl
from pairing.links import pairing_url
from server.qr import terminal_qr
from server.runtime import found_server
from t3site.commands import StateCommand


class Command(StateCommand):
    help = (
        "Mint a fresh pairing link for the t3site server running now (found through "
        "server-runtime.json and checked through its descriptor); print its URL and a QR code. "
        "It is a client link (read, write, terminal) unless --role owner asks for more. "
        "With --tailscale the link goes through Tailscale Serve's HTTPS name."
    )

    def add_arguments(self, parser):
        add_grant_options(parser, "5m", "how long the link can be used", scope_rules.LINK_DEFAULT_ROLE, LINK_LABEL_HELP)
        parser.add_argument(
            "--tailscale",
            action="store_true",
            help="print the Tailscale HTTPS link (Serve is set up for the running server if it is not yet)",
        )

    def handle(self, *args, ttl, label, role, scopes, tailscale, json, **options):
        parse_ttl(ttl)  # a typo fails before anything else happens
        runtime = found_server()
        if runtime is None:
            raise CommandError(
                f"no t3site server is running for T3SITE_HOME={settings.T3SITE_HOME}: "
                "start one with `python manage.py serve`"
            )
        base_url = self._tailscale_url(runtime["port"]) if tailscale else runtime["origin"]
        link, code = issue_link(role=role, scopes=scopes, label=label, ttl=ttl)
        link_url = pairing_url(base_url, code)
        if json:
            return self.print_json(link_document(link, code, link_url))
        self.stdout.write(f"Pairing URL: {link_url}")
        self.stdout.write(terminal_qr(link_url))
        self.stdout.write(link_summary(link))
        if tailscale:
            checked = verify(base_url, environment_id())
            self.stdout.write(("Verified: " if checked.ok else "Not verified yet: ") + checked.reason)

    def _tailscale_url(self, local_port: int) -> str:
        """Return the HTTPS URL Tailscale Serve fronts the server by, setting Serve up if needed."""
        try:
            return ts.fronts(local_port) or serving.set_up(settings.T3SITE_HOME, local_port)
        except ts.TailscaleError as exc:
            raise CommandError(f"--tailscale: {exc.message}") from None

"""`manage.py environments`: backends this server has paired with, saved by environmentId."""

from __future__ import annotations

import socket

from django.core.management.base import CommandError

from environments import credentials
from environments.backend_pairing import BackendError
from environments.credentials import CredentialStoreError
from environments.hosts import (
    BadAddress,
    PairingLink,
    address_of,
    normalize_host,
    parse_pairing_url,
)
from environments.models import Environment
from environments.ssh.client import ask_at_terminal
from environments.ssh.command import add_ssh_parser, run_ssh
from t3site.commands import SubcommandsCommand
from t3site.ids import LABEL_MAX_LENGTH


class Command(SubcommandsCommand):
    help = (
        "Manage saved environments: pair this server with another t3site backend and keep its bearer "
        "credential in T3SITE_HOME (mode 0600, never printed); list, rename and remove them."
    )
    user_errors = (CredentialStoreError,)

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True, metavar="{add,list,rename,remove,ssh}")

        add = verbs.add_parser(
            "add",
            help="pair with a backend and save it",
            description="Fetch the backend's descriptor, exchange the one-time code for a bearer session, and "
            "save the environment (pairing the same backend again updates it).",
        )
        add.add_argument("pairing_url", nargs="?", help="the pairing URL, like http://HOST:PORT/pair#token=CODE")
        add.add_argument("--host", help="the backend address, like http://192.168.1.20:3773 (with --token)")
        add.add_argument("--token", help="the one-time pairing code (with --host)")
        add.add_argument(
            "--label", help="a name for the environment (default: the backend's own label and its address)"
        )
        add.set_defaults(handler=self.handle_add)

        listing = verbs.add_parser("list", help="list saved environments (never a credential)")
        listing.add_argument("--json", action="store_true", help="print one JSON document")
        listing.set_defaults(handler=self.handle_list)

        rename = verbs.add_parser("rename", help="rename a saved environment")
        rename.add_argument("id", help="its id or environmentId, from `environments list`")
        rename.add_argument("label", help="the new name")
        rename.set_defaults(handler=self.handle_rename)

        remove = verbs.add_parser(
            "remove",
            help="remove a saved environment, log its session out and drop its stored credential",
            description="Log the environment's session out and forget it. For an SSH environment, also close "
            "its forward and stop its remote server if `environments ssh` started it (managed); a server it "
            "found running (external) keeps running.",
        )
        remove.add_argument("id", help="its id or environmentId, from `environments list`")
        remove.set_defaults(handler=self.handle_remove)

        add_ssh_parser(verbs).set_defaults(handler=self.handle_ssh)

    def handle_add(self, *, pairing_url, host, token, label, **_):
        if bool(pairing_url) == bool(host or token) or bool(host) != bool(token):
            raise CommandError("give a PAIRING_URL, or --host URL and --token CODE (not both)")
        try:
            link = parse_pairing_url(pairing_url) if pairing_url else PairingLink(normalize_host(host), token)
        except BadAddress as exc:
            raise CommandError(str(exc)) from None
        try:
            environment, created, paired = Environment.objects.pair(
                link.host,
                link.token,
                device_label=f"t3site on {socket.gethostname()}",
                where=address_of(link.host),
                label=label or "",
            )
        except BackendError as exc:
            raise CommandError(str(exc)) from None
        verb = "Saved" if created else "Updated"
        self.stdout.write(
            f"{verb} {environment.label!r} ({environment.http_base_url}) as {environment.id}: "
            f"{paired.role} session with {' '.join(paired.scopes)}."
        )
        self.stdout.write(f"Its credential is kept in {credentials.path()} (mode 0600).")

    def handle_list(self, *, json, **_):
        with_credential = credentials.saved_ids()
        rows = [
            {**environment.as_dict(), "hasCredential": environment.environment_id in with_credential}
            for environment in Environment.objects.all()
        ]
        if json:
            return self.print_json(rows)
        if not rows:
            return self.stdout.write("No saved environments. Add one with `manage.py environments add PAIRING_URL`.")
        self.print_table(
            ("ID", "NAME", "ADDRESS", "KIND", "ENVIRONMENT ID", "CREDENTIAL"),
            (
                (
                    row["id"],
                    row["label"],
                    row["httpBaseUrl"],
                    row["kind"],
                    row["environmentId"],
                    "here" if row["hasCredential"] else "in a browser",
                )
                for row in rows
            ),
        )

    def _find(self, key: str) -> Environment:
        environment = Environment.objects.find(key)
        if environment is None:
            raise CommandError(f"no saved environment {key!r}: see `manage.py environments list`")
        return environment

    def handle_rename(self, *, id, label, **_):
        label = label.strip()
        if not label:
            raise CommandError("the new label is empty")
        environment = self._find(id)
        environment.rename(label[:LABEL_MAX_LENGTH])
        self.stdout.write(f"Renamed {environment.id} to {environment.label!r}.")

    def handle_remove(self, *, id, **_):
        environment = self._find(id)
        key, label = environment.id, environment.label
        # At a terminal, a key with a passphrase can be unlocked to stop an SSH environment's server.
        removal = environment.remove(ask=ask_at_terminal)
        self.stdout.write(f"Removed {key} ({label!r}).")
        if removal.message:
            self.stdout.write(removal.message)

    def handle_ssh(self, **options):
        run_ssh(self.stdout, options)

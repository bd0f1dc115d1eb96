"""`manage.py auth`: pairing links and device sessions from the command line."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError

from pairing import scopes as scope_rules
from pairing.grants import LINK_LABEL_HELP, add_grant_options, issue_link, link_document, link_summary, parse_ttl
from pairing.links import pairing_url, running_origin
from pairing.models import DeviceSession, InvalidLabel, PairingCredential
from t3site import clock
from t3site.commands import SubcommandsCommand
from t3site.durations import format_duration

PAIRING_HELP = "one-time pairing links (tokens a device exchanges for a session)"
SESSION_HELP = "device sessions (what a paired device holds)"


class Command(SubcommandsCommand):
    help = "Manage pairing links and device sessions: create, list, rename and revoke them."
    user_errors = (scope_rules.ScopeError, InvalidLabel)

    def add_arguments(self, parser):
        nouns = parser.add_subparsers(dest="noun", required=True, metavar="{pairing,session}")

        pairing = nouns.add_parser("pairing", help=PAIRING_HELP, description=f"Manage {PAIRING_HELP}.")
        pairing_verbs = pairing.add_subparsers(dest="verb", required=True, metavar="{create,list,revoke}")
        create = pairing_verbs.add_parser(
            "create",
            help="mint a pairing link and print its token",
            description=(
                "Mint a one-time pairing link and print its token (and URL, with --base-url or a running server). "
                "It is a client link (read, write, terminal) unless --role owner asks for more."
            ),
        )
        add_grant_options(create, "5m", "how long the link can be used", scope_rules.LINK_DEFAULT_ROLE, LINK_LABEL_HELP)
        create.add_argument(
            "--base-url", help="the server URL to build the pairing URL from, like http://192.168.1.20:3773"
        )
        create.set_defaults(handler=self.pairing_create)
        listing = pairing_verbs.add_parser("list", help="list pairing links (never their tokens)")
        listing.add_argument("--json", action="store_true", help="print one JSON document")
        listing.set_defaults(handler=self.pairing_list)
        revoke = pairing_verbs.add_parser("revoke", help="revoke a pairing link so it can no longer be used")
        revoke.add_argument("id", help="the link's id, from `auth pairing list`")
        revoke.set_defaults(handler=self.pairing_revoke)

        session = nouns.add_parser("session", help=SESSION_HELP, description=f"Manage {SESSION_HELP}.")
        session_verbs = session.add_subparsers(
            dest="verb", required=True, metavar="{issue,list,rename,revoke,revoke-others}"
        )
        issue = session_verbs.add_parser(
            "issue",
            help="issue a session directly and print its bearer token",
            description=(
                "Issue a device session for a script, without pairing, and print its bearer token (shown once). "
                "It is an owner session unless --role client asks for less; it ends after "
                "T3SITE_SESSION_IDLE_TTL unused unless --ttl says otherwise."
            ),
        )
        # The owner runs this on the machine for a script of their own, not to invite anyone: an owner
        # session by default (docs/contract.md §2), unlike links, which default to client.
        idle_now = format_duration(settings.T3SITE_SESSION_IDLE_TTL_SECONDS)
        add_grant_options(
            issue,
            None,
            "idle lifetime: the session ends after this long unused",
            scope_rules.OWNER,
            "its name",
            ttl_default_text=f"T3SITE_SESSION_IDLE_TTL, now {idle_now}",
        )
        issue.set_defaults(handler=self.session_issue)
        listing = session_verbs.add_parser("list", help="list live sessions (never their tokens)")
        listing.add_argument("--json", action="store_true", help="print one JSON document")
        listing.add_argument("--all", action="store_true", help="include revoked and expired sessions")
        listing.set_defaults(handler=self.session_list)
        rename = session_verbs.add_parser(
            "rename", help="give a device a new name", description="Give a device (its session) a new name."
        )
        rename.add_argument("id", help="the session's id, from `auth session list`")
        rename.add_argument("label", help="the new name")
        rename.set_defaults(handler=self.session_rename)
        revoke = session_verbs.add_parser("revoke", help="revoke a session and close its open sockets")
        revoke.add_argument("id", help="the session's id, from `auth session list`")
        revoke.set_defaults(handler=self.session_revoke)
        others = session_verbs.add_parser("revoke-others", help="revoke every session except one")
        others.add_argument("--keep", required=True, help="the id of the session to keep")
        others.set_defaults(handler=self.session_revoke_others)

    # pairing links

    def pairing_create(self, *, ttl, label, role, scopes, base_url, json, **_):
        if base_url is None:
            base_url = running_origin()
        link, code = issue_link(role=role, scopes=scopes, label=label, ttl=ttl)
        data = link_document(link, code, pairing_url(base_url, code) if base_url else None)
        if json:
            return self.print_json(data)
        self.stdout.write(link_summary(link))
        self.stdout.write(f"Token: {code}")
        if base_url:
            self.stdout.write(f"Pairing URL: {data['pairingUrl']}")

    def pairing_list(self, *, json, **_):
        links = [link.as_dict() for link in PairingCredential.objects.all()]
        if json:
            return self.print_json(links)
        if not links:
            return self.stdout.write("No pairing links. Make one with `manage.py auth pairing create`.")
        self.print_table(
            ("ID", "STATE", "ROLE", "SCOPES", "EXPIRES", "LABEL"),
            (
                (link["id"], link["state"], link["role"], " ".join(link["scopes"]), link["expiresAt"], link["label"])
                for link in links
            ),
        )

    def pairing_revoke(self, *, id, **_):
        link = PairingCredential.objects.filter(pk=id).first()
        if link is None:
            raise CommandError(f"no pairing link {id!r}: see `manage.py auth pairing list`")
        if link.revoke("revoked from the command line"):
            self.stdout.write(f"Revoked pairing link {id}.")
        else:
            self.stdout.write(f"Pairing link {id} was already {link.state}; nothing to revoke.")

    # device sessions

    def session_issue(self, *, ttl, label, role, scopes, json, **_):
        session, token = DeviceSession.objects.issue(
            role=role,
            scopes=scopes,
            label=label,
            # Without --ttl the model applies T3SITE_SESSION_IDLE_TTL, as for a paired device.
            idle_ttl_seconds=parse_ttl(ttl) if ttl is not None else None,
            auth_mode="cli",
        )
        data = {
            "sessionId": session.id,
            "sessionToken": token,
            "role": session.role,
            "scopes": session.scopes,
            "label": session.label,
            "expiresAt": clock.iso(session.expires_at),
        }
        if json:
            return self.print_json(data)
        self.stdout.write(
            f"Session {session.id} ({session.role}: {' '.join(session.scopes)}), idle lifetime "
            f"{format_duration(session.idle_ttl_seconds)}, expires {data['expiresAt']} unless used"
        )
        self.stdout.write(f"Bearer token: {token}")
        self.stdout.write("It is shown only now. Send it as `Authorization: Bearer <token>`.")

    def session_list(self, *, json, all, **_):
        sessions = DeviceSession.objects.all() if all else DeviceSession.objects.active()
        rows = [session.as_dict() for session in sessions]
        if json:
            return self.print_json(rows)
        if not rows:
            return self.stdout.write("No live sessions." if not all else "No sessions.")
        self.print_table(
            ("ID", "STATE", "ROLE", "SCOPES", "CLIENT IP", "LAST SEEN", "LINK", "NAME"),
            (
                (
                    row["id"],
                    row["state"],
                    row["role"],
                    " ".join(row["scopes"]),
                    row["clientIp"] or "-",
                    row["lastSeenAt"],
                    row["pairingId"] or "-",
                    row["label"],
                )
                for row in rows
            ),
        )

    def session_rename(self, *, id, label, **_):
        session = DeviceSession.objects.filter(pk=id).first()
        if session is None:
            raise CommandError(f"no session {id!r}: see `manage.py auth session list`")
        name = session.rename(label)
        self.stdout.write(f"Renamed session {id} to {name!r}.")

    def session_revoke(self, *, id, **_):
        session = DeviceSession.objects.filter(pk=id).first()
        if session is None:
            raise CommandError(f"no session {id!r}: see `manage.py auth session list`")
        if session.revoke("revoked from the command line"):
            self.stdout.write(f"Revoked session {id}; its open sockets close within 2 seconds.")
        else:
            self.stdout.write(f"Session {id} was already {session.state}; nothing to revoke.")

    def session_revoke_others(self, *, keep, **_):
        if not DeviceSession.objects.filter(pk=keep).exists():
            raise CommandError(f"no session {keep!r} to keep: see `manage.py auth session list`")
        count = DeviceSession.objects.exclude(pk=keep).revoke("revoked with revoke-others")
        self.stdout.write(f"Revoked {count} session(s); kept {keep}.")

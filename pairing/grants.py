"""What a pairing link or session grants, as the `auth` and `pair` commands take it and print it."""

from __future__ import annotations

from django.core.management.base import CommandError

from pairing import scopes as scope_rules
from pairing.models import PairingCredential
from t3site import clock
from t3site.durations import DurationError, duration_in_words, parse_duration

# What `--label` means on a link: the device that claims it is named so.
LINK_LABEL_HELP = "the name of the device that will use the link (a name it gives itself wins)"


def add_grant_options(
    parser, default_ttl: str | None, ttl_help: str, default_role: str, label_help: str, ttl_default_text: str = ""
) -> None:
    """Add --ttl, --label, --role, --scope and --json: what a pairing link or session grants.

    A ``default_ttl`` of None leaves --ttl unset unless given (the caller applies a setting);
    ``ttl_default_text`` then says in the help what that default is.
    """
    parser.add_argument(
        "--ttl", default=default_ttl, help=f"{ttl_help} (90s, 5m, 1h, 30d; default {ttl_default_text or default_ttl})"
    )
    parser.add_argument("--label", default="", help=label_help)
    parser.add_argument(
        "--role",
        choices=scope_rules.ROLES,
        default=default_role,
        help=f"owner (every scope, admin included) or client (default {default_role})",
    )
    parser.add_argument(
        "--scope",
        action="append",
        choices=scope_rules.ALL_SCOPES,
        dest="scopes",
        help="narrow a client to these scopes (repeat it); a client gets read, write and terminal by default",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def parse_ttl(text: str) -> int:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise CommandError(f"--ttl: {exc}") from None


def issue_link(*, role: str, scopes: list[str] | None, label: str, ttl: str) -> tuple[PairingCredential, str]:
    """Mint a pairing link from command options; a bad role/scope mix is a CommandError."""
    ttl_seconds = parse_ttl(ttl)
    try:
        return PairingCredential.objects.issue(role=role, scopes=scopes, label=label, ttl_seconds=ttl_seconds)
    except scope_rules.GrantError as exc:
        raise CommandError(str(exc)) from None


def link_summary(link: PairingCredential) -> str:
    """Return one line on what a new link grants and for how long, the lifetime in words.

    For example "Pairing link 1a2b...: client (read write terminal), works once, for 5 minutes (until ...Z)."
    """
    ttl = duration_in_words(round((link.expires_at - link.created_at).total_seconds()))
    named = f" for {link.label!r}" if link.label else ""
    return (
        f"Pairing link {link.id}{named}: {link.role} ({' '.join(link.scopes)}), works once, for {ttl} "
        f"(until {clock.iso(link.expires_at)})."
    )


def link_document(link: PairingCredential, code: str, pairing_url: str | None) -> dict:
    """Return the `--json` document of a new link (docs/contract.md §2)."""
    data = {
        "id": link.id,
        "token": code,
        "expiresAt": clock.iso(link.expires_at),
        "role": link.role,
        "scopes": link.scopes,
        "label": link.label,
    }
    if pairing_url:
        data["pairingUrl"] = pairing_url
    return data

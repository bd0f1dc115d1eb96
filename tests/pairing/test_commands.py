"""`manage.py auth` and `pair` as a user runs them: one clear line for every mistake."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError

from pairing.models import DeviceSession, PairingCredential
from tests.support.commands import command_error, command_help, run_command
from tests.support.server import manage

run = run_command


def test_a_mistake_is_one_line_on_stderr_without_a_traceback(tmp_path):
    result = manage(tmp_path, "auth", "pairing", "create", "--ttl", "8d")
    assert result.returncode != 0
    assert "7 days at most" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["auth", "pairing", "create", "--ttl", "8d"], "7 days at most"),
        (["auth", "pairing", "create", "--ttl", "999999999d"], "at most 3650d"),
        (["auth", "pairing", "create", "--role", "client", "--scope", "admin"], "owner-only"),
        (["auth", "session", "revoke", "nope"], "no session 'nope'"),
        (["auth", "pairing", "revoke", "nope"], "no pairing link 'nope'"),
        (["auth", "session", "rename", "nope", "Desk"], "no session 'nope'"),
    ],
)
def test_a_mistake_is_one_line(args, message):
    assert message in command_error(*args)


@pytest.mark.django_db
def test_lists_never_show_a_token():
    link = json.loads(run("auth", "pairing", "create", "--json", "--label", "ipad"))
    session = json.loads(run("auth", "session", "issue", "--json", "--role", "client"))
    assert "pairingUrl" not in link  # no server runs and no --base-url
    listings = "".join(
        run(*args)
        for args in (
            ["auth", "pairing", "list"],
            ["auth", "pairing", "list", "--json"],
            ["auth", "session", "list"],
            ["auth", "session", "list", "--json"],
        )
    )
    assert "ipad" in listings and session["sessionId"] in listings
    assert link["token"] not in listings and session["sessionToken"] not in listings


@pytest.mark.django_db
def test_a_base_url_gives_the_pairing_url():
    link = json.loads(run("auth", "pairing", "create", "--json", "--base-url", "http://10.0.0.5:3773/"))
    assert link["pairingUrl"] == f"http://10.0.0.5:3773/pair#token={link['token']}"


@pytest.mark.django_db
def test_revoke_others_keeps_one_session():
    keep = json.loads(run("auth", "session", "issue", "--json"))["sessionId"]
    run("auth", "session", "issue")
    assert run("auth", "session", "revoke-others", "--keep", keep).strip() == f"Revoked 1 session(s); kept {keep}."
    live = json.loads(run("auth", "session", "list", "--json"))
    assert [row["id"] for row in live] == [keep]


def test_nested_help_says_what_each_subcommand_does():
    help_text = command_help("auth", "pairing", "create")
    assert "--base-url" in help_text and "--scope" in help_text


@pytest.mark.django_db
def test_an_unreachable_database_is_one_line(monkeypatch):
    from django.db import OperationalError

    def unreachable():
        raise OperationalError('connection to server at "127.0.0.1", port 1 failed: Connection refused\nIs it up?')

    monkeypatch.setattr("t3site.commands.ensure_database", unreachable)
    assert "cannot use the database" in command_error("auth", "session", "list")


@pytest.mark.django_db
def test_a_new_link_is_a_client_link_that_says_how_long_it_works_in_words():
    printed = run("auth", "pairing", "create", "--label", "ipad")
    link = PairingCredential.objects.get()
    assert (link.role, link.label) == ("client", "ipad")
    said = f"Pairing link {link.id} for 'ipad': client (read write terminal), works once, for 5 minutes"
    assert printed.startswith(said)


@pytest.mark.django_db
def test_an_owner_link_is_asked_for_by_name():
    printed = run("auth", "pairing", "create", "--role", "owner", "--ttl", "1h", "--json")
    assert json.loads(printed)["role"] == "owner" and json.loads(printed)["scopes"][-1] == "admin"
    assert "for 1 hour" in run("auth", "pairing", "create", "--role", "owner", "--ttl", "1h")


@pytest.mark.django_db
def test_listings_have_a_header_row_and_name_the_link_a_device_came_from():
    link, code = PairingCredential.objects.issue(label="ipad")
    session, _ = PairingCredential.objects.claim(code, client_ip="192.0.2.7")
    links = run("auth", "pairing", "list").splitlines()
    sessions = run("auth", "session", "list").splitlines()
    assert links[0].split() == ["ID", "STATE", "ROLE", "SCOPES", "EXPIRES", "LABEL"]
    assert links[1].split()[:3] == [link.id, "used", "client"] and links[1].endswith("ipad")
    assert sessions[0].split() == ["ID", "STATE", "ROLE", "SCOPES", "CLIENT", "IP", "LAST", "SEEN", "LINK", "NAME"]
    assert sessions[1].split()[:2] == [session.id, "active"]
    assert "192.0.2.7" in sessions[1] and sessions[1].endswith(f"{link.id}  ipad")


@pytest.mark.django_db
def test_a_device_is_renamed_from_the_command_line(client_device):
    assert run("auth", "session", "rename", client_device.session.id, "Kitchen tablet") == (
        f"Renamed session {client_device.session.id} to 'Kitchen tablet'.\n"
    )
    assert DeviceSession.objects.get(pk=client_device.session.pk).label == "Kitchen tablet"
    assert "Kitchen tablet" in run("auth", "session", "list")
    with pytest.raises(CommandError, match="cannot be empty"):
        run("auth", "session", "rename", client_device.session.id, "  ")


@pytest.mark.django_db
def test_an_issued_session_lives_as_long_as_the_idle_ttl_setting_says_unless_ttl_is_given(settings):
    settings.T3SITE_SESSION_IDLE_TTL_SECONDS = 2 * 3600
    default = json.loads(run("auth", "session", "issue", "--json"))
    asked = json.loads(run("auth", "session", "issue", "--json", "--ttl", "5m"))
    assert DeviceSession.objects.get(pk=default["sessionId"]).idle_ttl_seconds == 2 * 3600
    assert DeviceSession.objects.get(pk=asked["sessionId"]).idle_ttl_seconds == 5 * 60


def test_session_issue_help_says_it_makes_an_owner_session_for_the_idle_ttl_setting():
    help_text = " ".join(command_help("auth", "session", "issue").split())
    assert "owner session unless --role client" in help_text
    assert "(default owner)" in help_text
    assert "default T3SITE_SESSION_IDLE_TTL, now 30d" in help_text

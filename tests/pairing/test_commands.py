"""`manage.py auth` and `pair` as a user runs them: one clear line for every mistake."""

from __future__ import annotations

import json

import pytest

from tests.support.server import manage


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["auth", "pairing", "create", "--ttl", "8d"], "7 days at most"),
        (["auth", "pairing", "create", "--ttl", "999999999d"], "at most 3650d"),
        (["auth", "pairing", "create", "--role", "client", "--scope", "admin"], "owner-only"),
        (["auth", "session", "revoke", "nope"], "no session 'nope'"),
        (["auth", "pairing", "revoke", "nope"], "no pairing link 'nope'"),
    ],
)
def test_a_mistake_is_one_line_without_a_traceback(tmp_path, args, message):
    result = manage(tmp_path, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_lists_never_show_a_token(tmp_path):
    link = json.loads(manage(tmp_path, "auth", "pairing", "create", "--json", "--label", "ipad").stdout)
    session = json.loads(manage(tmp_path, "auth", "session", "issue", "--json", "--role", "client").stdout)
    assert "pairingUrl" not in link  # no server runs and no --base-url
    listings = "".join(
        manage(tmp_path, *args).stdout
        for args in (
            ["auth", "pairing", "list"],
            ["auth", "pairing", "list", "--json"],
            ["auth", "session", "list"],
            ["auth", "session", "list", "--json"],
        )
    )
    assert "ipad" in listings and session["sessionId"] in listings
    assert link["token"] not in listings and session["sessionToken"] not in listings


def test_a_base_url_gives_the_pairing_url(tmp_path):
    link = json.loads(
        manage(tmp_path, "auth", "pairing", "create", "--json", "--base-url", "http://10.0.0.5:3773/").stdout
    )
    assert link["pairingUrl"] == f"http://10.0.0.5:3773/pair#token={link['token']}"


def test_revoke_others_keeps_one_session(tmp_path):
    keep = json.loads(manage(tmp_path, "auth", "session", "issue", "--json").stdout)["sessionId"]
    manage(tmp_path, "auth", "session", "issue")
    result = manage(tmp_path, "auth", "session", "revoke-others", "--keep", keep)
    assert result.stdout.strip() == f"Revoked 1 session(s); kept {keep}."
    live = json.loads(manage(tmp_path, "auth", "session", "list", "--json").stdout)
    assert [row["id"] for row in live] == [keep]


def test_nested_help_says_what_each_subcommand_does(tmp_path):
    result = manage(tmp_path, "auth", "pairing", "create", "--help")
    assert result.returncode == 0
    assert "--base-url" in result.stdout and "--scope" in result.stdout


def test_an_unreachable_database_is_one_line(tmp_path):
    from tests.support.server import command_env

    env = command_env(tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    result = manage(tmp_path, "auth", "session", "list", env=env)
    assert result.returncode != 0
    assert "cannot use the database" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

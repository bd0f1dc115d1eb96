"""`manage.py environments`, run in this process, against a real backend (`manage.py serve`, daphne)."""

from __future__ import annotations

import json
import shlex
import stat
import time

import pytest

from environments.management.commands.environments import Command
from tests.support.commands import command_error, command_output
from tests.support.http import request
from tests.support.server import manage


@pytest.fixture
def workstation(tmp_path, settings, db):
    """The T3SITE_HOME of this process: the server that saves environments from its command line."""
    settings.T3SITE_HOME = tmp_path / "workstation"
    settings.T3SITE_HOME.mkdir()
    return settings.T3SITE_HOME


def environments(home, *args):
    return command_output("environments", *args)


def stored_credentials(home) -> dict:
    return json.loads((home / "environment-credentials.json").read_text())["credentials"]


def test_it_adds_a_backend_from_its_pairing_url_and_never_prints_the_token(server, workstation):
    added = environments(workstation, "add", server.printed["Pairing URL"], "--label", "Build box")
    assert "Saved 'Build box'" in added.stdout

    listed = environments(workstation, "list", "--json")
    [row] = json.loads(listed.stdout)
    descriptor = request("GET", f"{server.base_url}/.well-known/t3/environment").json
    assert row["environmentId"] == descriptor["environmentId"]
    assert row["httpBaseUrl"] == server.base_url and row["wsBaseUrl"] == server.ws_url.removesuffix("/ws")
    assert row["label"] == "Build box" and row["kind"] == "direct" and row["hasCredential"] is True

    file = workstation / "environment-credentials.json"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    token = stored_credentials(workstation)[row["environmentId"]]["sessionToken"]
    session = request("GET", f"{server.base_url}/api/auth/session", headers={"Authorization": f"Bearer {token}"})
    assert session.json["authenticated"] is True

    text = environments(workstation, "list")
    for output in (added.stdout, added.stderr, listed.stdout, text.stdout, text.stderr):
        assert token not in output and server.token not in output


def test_adding_the_same_backend_again_updates_it_and_list_rename_remove_work(server, workstation):
    environments(workstation, "add", server.printed["Pairing URL"])
    link = json.loads(manage(server.home, "auth", "pairing", "create", "--json").stdout)
    again = environments(workstation, "add", "--host", server.base_url + "/", "--token", link["token"].lower())
    assert again.stdout.startswith("Updated")
    [row] = json.loads(environments(workstation, "list", "--json").stdout)

    environments(workstation, "rename", row["environmentId"], "Desk")
    header, line = environments(workstation, "list").stdout.splitlines()
    assert header.split() == ["ID", "NAME", "ADDRESS", "KIND", "ENVIRONMENT", "ID", "CREDENTIAL"]
    assert line.split() == [row["id"], "Desk", server.base_url, "direct", row["environmentId"], "here"]

    removed = environments(workstation, "remove", row["id"])
    assert f"Removed {row['id']}" in removed.stdout
    assert json.loads(environments(workstation, "list", "--json").stdout) == []
    assert stored_credentials(workstation) == {}
    sessions = json.loads(manage(server.home, "auth", "session", "list", "--json").stdout)
    assert not [s for s in sessions if s["label"].startswith("t3site on")]  # both sessions were logged out


def test_an_unnamed_backend_is_named_by_its_own_label_and_its_address_not_like_this_server(server, workstation):
    environments(workstation, "add", server.printed["Pairing URL"])
    [row] = json.loads(environments(workstation, "list", "--json").stdout)
    descriptor = request("GET", f"{server.base_url}/.well-known/t3/environment").json
    address = server.base_url.removeprefix("http://")
    assert row["label"] == f"{descriptor['label']} · {address}"


def test_an_empty_list_says_how_to_add_one(workstation):
    assert "environments add PAIRING_URL" in environments(workstation, "list").stdout


def one_line_error(home, *args) -> str:
    return command_error("environments", *args)


def test_a_mistake_is_one_line_on_stderr_without_a_traceback(tmp_path):
    result = manage(tmp_path, "environments", "add", "http://127.0.0.1:1/pair")
    assert result.returncode != 0
    assert "no #token" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_used_link_is_refused_with_one_line(server, workstation):
    environments(workstation, "add", server.printed["Pairing URL"])
    assert "used already" in one_line_error(workstation, "add", server.printed["Pairing URL"])


def test_an_expired_link_is_refused_with_one_line(server, workstation):
    link = json.loads(manage(server.home, "auth", "pairing", "create", "--ttl", "1s", "--json").stdout)
    time.sleep(1.2)  # the shortest TTL the syntax allows is one second
    error = one_line_error(workstation, "add", "--host", server.base_url, "--token", link["token"])
    assert "expired" in error


def test_a_dead_backend_is_refused_without_spending_the_code(server, workstation, unused_port):
    dead = f"http://127.0.0.1:{unused_port}/pair#token={server.token}"
    assert "cannot reach" in one_line_error(workstation, "add", dead)
    assert environments(workstation, "add", server.printed["Pairing URL"]).stdout.startswith("Saved")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["add", "http://user@127.0.0.1:1/pair#token=ABCDEFGHJKMN"], "user name"),
        (["add", "http://127.0.0.1:1/pair"], "no #token"),
        (["add", "--host", "ftp://127.0.0.1:1", "--token", "ABCDEFGHJKMN"], "not supported"),
        (["add", "--host", "http://127.0.0.1:1", "--token", "nope"], "not a pairing code"),
        (["add", "--host", "http://127.0.0.1:1"], "--host URL and --token CODE"),
        (["rename", "nope", "x"], "no saved environment"),
        (["remove", "nope"], "no saved environment"),
    ],
)
def test_user_mistakes_get_one_clear_line(workstation, args, reason):
    assert reason in one_line_error(workstation, *args)


def test_a_corrupt_credential_file_is_one_line(workstation):
    environments(workstation, "list")
    (workstation / "environment-credentials.json").write_text("{not json")
    assert "environment-credentials.json" in one_line_error(workstation, "list")


def test_ssh_refuses_port_zero_instead_of_using_the_configs_port(workstation, tmp_path, unused_port, monkeypatch):
    config = tmp_path / "ssh-config"
    config.write_text(f"Host devbox\n    HostName 127.0.0.1\n    Port {unused_port}\n")
    monkeypatch.setenv("T3SITE_SSH_CONFIG", str(config))
    assert "between 1 and 65535, not 0" in one_line_error(workstation, "ssh", "devbox", "--port", "0")


def test_adding_the_same_backend_again_keeps_the_label_someone_gave_it(server, workstation):
    environments(workstation, "add", server.printed["Pairing URL"], "--label", "Build box")
    link = json.loads(manage(server.home, "auth", "pairing", "create", "--json").stdout)
    again = environments(workstation, "add", "--host", server.base_url, "--token", link["token"])
    assert again.stdout.startswith("Updated 'Build box'")
    [row] = json.loads(environments(workstation, "list", "--json").stdout)
    assert row["label"] == "Build box"


def test_forward_only_without_a_saved_environment_prints_a_launch_command_that_parses(
    workstation, tmp_path, monkeypatch
):
    monkeypatch.setenv("T3SITE_SSH_CONFIG", str(tmp_path / "no-ssh-config"))
    key = tmp_path / "key"
    key.write_text("")
    args = ["ssh", "--forward-only", "alice@127.0.0.1", "--port", "2222", "--identity", str(key)]
    error = one_line_error(workstation, *args)
    (printed,) = [part for part in error.split("`") if part.startswith("manage.py environments ssh")]
    command, *words = shlex.split(printed)[1:]
    options = vars(Command().create_parser("manage.py", command).parse_args(words))
    assert (options["target"], options["port"], options["identity"]) == ("alice@127.0.0.1", 2222, str(key))
    assert not options["forward_only"]

"""Issue 10, findings 1 and 2, replayed against a real server: read and write reach only inside projects.

The attack was: with only read and write, make ~/.config/git, add it as a project, write a git
filter into its config, and let git.status run it. Every link of that chain is broken on its own.
"""

from __future__ import annotations

import itertools
import json
import subprocess

import pytest
from websockets.sync.client import connect

from tests.support.e2e import pair_bearer
from tests.support.server import command_env, manage, start_server

ANSWER_TIMEOUT_SECONDS = 10
INSUFFICIENT_SCOPE = -32001
INVALID_PARAMS = -32602


@pytest.fixture
def attack(tmp_path):
    """A real server whose user lives in a throwaway home, with an owner and a read+write device."""
    user_home = tmp_path / "user"
    (user_home / ".config").mkdir(parents=True)
    state = tmp_path / "state"
    server = start_server(state, env=command_env(state, HOME=str(user_home)))
    try:
        issued = manage(
            state, "auth", "session", "issue", "--role", "client", "--scope", "read", "--scope", "write", "--json"
        )
        assert issued.returncode == 0, issued.stderr
        owner = pair_bearer(server)["sessionToken"]
        yield server, user_home, owner, json.loads(issued.stdout)["sessionToken"]
    finally:
        server.stop()


_request_ids = itertools.count(1)


def socket_for(server, token: str):
    return connect(server.ws_url, additional_headers={"Authorization": f"Bearer {token}"})


def ask(ws, method: str, **params) -> dict:
    """Send one request and return its result or error, skipping notifications."""
    request_id = next(_request_ids)
    ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
    while True:
        frame = json.loads(ws.recv(timeout=ANSWER_TIMEOUT_SECONDS))
        if frame.get("id") == request_id:
            return frame.get("result", frame.get("error"))


def refused(answer: dict, code: int) -> bool:
    return "code" in answer and answer["code"] == code


def git(repo, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=30)


def test_a_read_write_device_cannot_reach_beyond_its_projects(attack):
    server, user_home, owner_token, read_write_token = attack
    with socket_for(server, read_write_token) as read_write, socket_for(server, owner_token) as owner:
        for method, params in (
            ("filesystem.createDirectory", {"path": "~/.config/git"}),
            ("filesystem.browse", {"path": "~"}),
            ("projects.add", {"path": "~/.config"}),
            ("projects.add", {"path": "/proc/self"}),
        ):
            answer = ask(read_write, method, **params)
            assert refused(answer, INSUFFICIENT_SCOPE) and answer["data"] == {"scope": "terminal"}, (method, answer)
        assert not (user_home / ".config" / "git").exists()

        # Nor does a device that may open terminals make a project of them: every write device would reach it.
        for method, params in (
            ("filesystem.createDirectory", {"path": "~/.config/git"}),
            ("projects.add", {"path": "~/.config"}),
            ("projects.add", {"path": "/proc/self"}),
            ("projects.add", {"path": "~"}),
        ):
            assert refused(ask(owner, method, **params), INVALID_PARAMS), (method, params)
        assert not (user_home / ".config" / "git").exists()
        assert ask(owner, "projects.list") == {"projects": []}


def test_a_filter_a_write_device_plants_in_a_repository_never_runs(attack, tmp_path):
    # The last link: a repository whose config includes a work-tree file (a common way to share
    # settings), so a write device can define a filter there and name it in .gitattributes.
    server, _, owner_token, read_write_token = attack
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet")
    (repo / "a.txt").write_text("1\n")
    git(repo, "add", "a.txt")
    git(repo, "-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "--quiet", "-m", "first")
    git(repo, "config", "include.path", "../shared.gitconfig")
    marker = tmp_path / "ran"
    with socket_for(server, owner_token) as owner:
        project = ask(owner, "projects.add", path=str(repo))["project"]["id"]

    planted = f'[filter "evil"]\n\tclean = touch {marker}; cat\n\tsmudge = touch {marker}; cat\n'
    with socket_for(server, read_write_token) as device:
        for path, content in (("shared.gitconfig", planted), (".gitattributes", "* filter=evil\n"), ("a.txt", "2\n")):
            assert "sha256" in ask(device, "files.write", projectId=project, path=path, content=content), path
        into_git = ask(device, "files.write", projectId=project, path=".git/config", content=planted)
        assert refused(into_git, INVALID_PARAMS)
        status = ask(device, "git.status", projectId=project)
        diff = ask(device, "git.diff", projectId=project)
    assert {"path": "a.txt", "status": "M"} in status["unstaged"]
    assert "+2" in diff["diff"]
    assert not marker.exists()

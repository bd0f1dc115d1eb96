"""SSH environments wired into the real processes: `serve` owns their forwards, `environments remove` stops them."""

from __future__ import annotations

import json

import psutil
import pytest

from tests.support.server import manage, start_server
from tests.support.ssh_environments import FORWARD_OPENS_WITHIN_SECONDS, answers, client_env_for, launch
from tests.support.waiting import eventually


@pytest.fixture
def client_env(sshd, tmp_path):
    """Make a function returning the environment of a local command: the test's known_hosts, no ssh config or agent."""
    return client_env_for(sshd, tmp_path)


def launch_state(remote) -> dict:
    (state,) = remote.glob("ssh-launch/*/state.json")
    return json.loads(state.read_text())


def test_serve_reopens_the_forward_of_a_saved_ssh_environment_and_closes_it_when_it_stops(
    sshd, remote, client_env, tmp_path
):
    home = tmp_path / "local"
    environment = launch(sshd, home, remote, client_env)
    assert not answers(environment)  # the command's forward closed with it

    server = start_server(home, env=client_env(home))
    try:
        assert eventually(lambda: answers(environment), FORWARD_OPENS_WITHIN_SECONDS), server.output
    finally:
        assert server.stop() == 0, server.output
    assert not answers(environment)


def test_removing_a_managed_ssh_environment_stops_its_remote_server(sshd, remote, client_env, tmp_path):
    home = tmp_path / "local"
    environment = launch(sshd, home, remote, client_env)
    pid = launch_state(remote)["pid"]

    removed = manage(home, "environments", "remove", environment["id"], env=client_env(home))
    assert removed.returncode == 0, removed.stderr
    assert "Stopped the t3site server on" in removed.stdout and f"Removed {environment['id']}" in removed.stdout
    assert eventually(lambda: not psutil.pid_exists(pid), 15)
    assert json.loads(manage(home, "environments", "list", "--json", env=client_env(home)).stdout) == []
    assert json.loads((home / "environment-credentials.json").read_text())["credentials"] == {}


def test_removing_an_external_ssh_environment_leaves_its_remote_server_running(sshd, remote, client_env, tmp_path):
    running = start_server(remote)
    try:
        home = tmp_path / "local"
        environment = launch(sshd, home, remote, client_env)
        assert launch_state(remote)["mode"] == "external"
        assert len(json.loads(manage(remote, "auth", "session", "list", "--json").stdout)) == 1

        removed = manage(home, "environments", "remove", environment["id"], env=client_env(home))
        assert removed.returncode == 0, removed.stderr
        assert "Left the t3site server on" in removed.stdout and "running" in removed.stdout
        assert running.process.poll() is None
        sessions = json.loads(manage(remote, "auth", "session", "list", "--json").stdout)
        assert sessions == []  # the launcher's session there was logged out
    finally:
        running.stop()

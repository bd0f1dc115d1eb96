"""SSH environments wired into the real processes: `serve` owns their forwards, `environments remove` stops them."""

from __future__ import annotations

import json
import time
import urllib.request

import psutil
import pytest

from tests.support.server import command_env, manage, start_server

# serve reconciles every 5 s, and opening a forward means an SSH login and a remote launcher run.
FORWARD_OPENS_WITHIN_SECONDS = 30
LAUNCH_TIMEOUT_SECONDS = 120


@pytest.fixture
def client_env(sshd, tmp_path):
    """Make a function returning the environment of a local command: the test's known_hosts, no ssh config or agent."""
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.host_public_key)

    def env(home):
        variables = command_env(
            home, T3SITE_SSH_KNOWN_HOSTS=str(known_hosts), T3SITE_SSH_CONFIG=str(tmp_path / "no-ssh-config")
        )
        variables.pop("SSH_AUTH_SOCK", None)  # only the test key, whatever agent the developer runs
        return variables

    return env


def launch(sshd, home, remote, env) -> dict:
    """Run `environments ssh` in a subprocess (its forward closes when it exits); return the saved environment."""
    args = ["environments", "ssh", "127.0.0.1", "--port", str(sshd.port), "--identity", str(sshd.client_key)]
    result = manage(home, *args, "--remote-dir", str(remote), env=env(home), timeout=LAUNCH_TIMEOUT_SECONDS)
    assert result.returncode == 0, result.stderr
    (environment,) = json.loads(manage(home, "environments", "list", "--json", env=env(home)).stdout)
    return environment


def answers(environment: dict) -> bool:
    try:
        url = f"{environment['httpBaseUrl']}/.well-known/t3/environment"
        with urllib.request.urlopen(url, timeout=3) as response:
            return json.load(response)["environmentId"] == environment["environmentId"]
    except OSError:
        return False


def eventually(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


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

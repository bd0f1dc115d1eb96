"""SSH forwards and removal in process: drop and recovery, the `serve` process's forwards, stop semantics."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

import psutil
import pytest

from environments import credentials
from environments.models import Environment
from environments.ssh import store
from environments.ssh.client import SSHError, UnknownHostKey, connect, never_ask
from environments.ssh.server_forwards import ForwardRegistry, connect_signals, forwards
from environments.ssh.service import launch_and_pair, open_forward
from environments.ssh.target import resolve
from environments.ssh.teardown import stop_environment
from t3site import lifecycle
from tests.support.server import start_server

RECOVERY_SECONDS = 30


@pytest.fixture
def ssh_client(sshd, tmp_path, monkeypatch):
    """This process as the SSH client: the test's known_hosts, no ~/.ssh/config, no agent."""
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.host_public_key)
    monkeypatch.setenv("T3SITE_SSH_KNOWN_HOSTS", str(known_hosts))
    monkeypatch.setenv("T3SITE_SSH_CONFIG", str(tmp_path / "no-ssh-config"))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return known_hosts


def _launch(sshd, remote):
    connected = launch_and_pair(
        "127.0.0.1", port=sshd.port, identity=str(sshd.client_key), remote_dir=str(remote), ask=never_ask
    )
    connected.close()
    return connected


def _environment_id(url: str, timeout: float = 10) -> str:
    with urllib.request.urlopen(f"{url}/.well-known/t3/environment", timeout=timeout) as response:
        return json.load(response)["environmentId"]


def _answers(url: str, environment_id: str) -> bool:
    try:
        return _environment_id(url, timeout=3) == environment_id
    except OSError:
        return False


def _eventually(check, seconds: float = RECOVERY_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_it_records_a_new_host_key_only_when_asked(sshd, ssh_client):
    ssh_client.write_text("# kept by hand, no newline at the end")
    target = resolve("127.0.0.1", port=sshd.port, identity=str(sshd.client_key))
    with pytest.raises(UnknownHostKey):
        connect(target, ask=never_ask)
    connect(target, accept_new_host_key=True, ask=never_ask).close()
    assert ssh_client.read_text().splitlines()[-1].split() == sshd.host_public_key.split()
    connect(target, ask=never_ask).close()


def test_the_forward_comes_back_after_the_ssh_server_restarts(db, sshd, ssh_client, remote):
    connected = _launch(sshd, remote)
    environment = connected.environment
    forward = open_forward(environment)
    try:
        assert forward.local_port == store.get(environment.environment_id).local_port
        assert _answers(environment.http_base_url, environment.environment_id)
        sshd.drop_connections()
        assert _eventually(lambda: forward.reconnects >= 1), "the SSH link was not re-established"
        assert _eventually(lambda: _answers(environment.http_base_url, environment.environment_id))
    finally:
        forward.close()


def test_the_serve_process_forwards_saved_ssh_environments_while_it_runs(transactional_db, sshd, ssh_client, remote):
    environment = _launch(sshd, remote).environment
    connect_signals()
    lifecycle.server_started.send(sender=None)
    try:
        assert _eventually(lambda: _answers(environment.http_base_url, environment.environment_id))
    finally:
        lifecycle.server_stopping.send(sender=None)
    assert forwards.get(environment.environment_id) is None
    assert not _answers(environment.http_base_url, environment.environment_id)


def test_a_removed_environment_loses_its_forward_at_the_next_reconcile(db, sshd, ssh_client, remote):
    environment = _launch(sshd, remote).environment
    registry = ForwardRegistry()
    registry.reconcile()
    try:
        assert registry.get(environment.environment_id) is not None
        environment.remove()
        registry.reconcile()
        assert registry.get(environment.environment_id) is None
        assert not _answers(environment.http_base_url, environment.environment_id)
    finally:
        registry.stop()


def test_removing_a_managed_environment_stops_its_server(db, sshd, ssh_client, remote):
    connected = _launch(sshd, remote)
    assert connected.launch.mode == "managed"
    stopped = stop_environment(connected.environment, ask=never_ask)
    assert stopped.stopped and "Stopped the t3site server" in stopped.message
    assert _eventually(lambda: not psutil.pid_exists(connected.launch.pid), 15)
    assert store.get(connected.environment.environment_id) is None
    assert not list(remote.glob("ssh-launch/*/state.json"))


def test_removing_an_external_environment_leaves_its_server_running(db, sshd, ssh_client, remote):
    server = start_server(remote)
    try:
        connected = _launch(sshd, remote)
        assert connected.launch.mode == "external"
        token = credentials.get(connected.environment.environment_id)
        stopped = stop_environment(connected.environment, ask=never_ask)
        assert not stopped.stopped and "running" in stopped.message
        assert server.process.poll() is None
        assert _environment_id(server.base_url) == connected.environment.environment_id
        request = urllib.request.Request(
            f"{server.base_url}/api/auth/session", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response)["authenticated"] is False
    finally:
        server.stop()
    assert Environment.objects.filter(pk=connected.environment.pk).exists()


def test_it_asks_for_the_passphrase_of_an_encrypted_key_and_never_guesses(sshd, ssh_client, tmp_path):
    locked = tmp_path / "locked_ed25519"
    locked.write_bytes(sshd.client_key.read_bytes())
    locked.chmod(0o600)
    subprocess.run(["ssh-keygen", "-q", "-p", "-N", "correct horse", "-f", str(locked)], check=True)
    target = resolve("127.0.0.1", port=sshd.port, identity=str(locked))
    prompts = []
    connect(target, ask=lambda prompt: prompts.append(prompt) or "correct horse").close()
    assert prompts == [f"Passphrase for key {locked}: "]
    with pytest.raises(SSHError, match="wrong passphrase"):
        connect(target, ask=lambda prompt: "battery staple")
    with pytest.raises(SSHError, match="permission denied"):
        connect(target, ask=never_ask)

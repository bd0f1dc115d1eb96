"""POST /api/environments/ssh and DELETE of an SSH environment, through Django's test client and a real sshd."""

from __future__ import annotations

import json
import subprocess
import time

import psutil
import pytest

from environments.models import Environment
from tests.support.sshd import keygen

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_hosts(sshd, tmp_path, monkeypatch):
    """This process as the SSH client: an empty known_hosts, no ~/.ssh/config, no agent."""
    path = tmp_path / "known_hosts"
    monkeypatch.setenv("T3SITE_SSH_KNOWN_HOSTS", str(path))
    monkeypatch.setenv("T3SITE_SSH_CONFIG", str(tmp_path / "no-ssh-config"))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return path


def launch(client, device, body: dict):
    return client.post("/api/environments/ssh", json.dumps(body), content_type="application/json", **device.auth)


def target(sshd, remote, **extra) -> dict:
    return {
        "target": "127.0.0.1",
        "port": sshd.port,
        "identity": str(sshd.client_key),
        "remoteDir": str(remote),
        **extra,
    }


def test_it_needs_the_admin_scope_as_well_as_write(client, client_device, sshd, remote):
    refused = launch(client, client_device, target(sshd, remote))
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "insufficient_scope",
        "message": "this device's session lacks the 'admin' scope",
    }
    assert not list(remote.glob("ssh-launch/*"))


def test_an_unknown_host_key_is_refused_with_its_fingerprint_then_trusted_on_request(
    client, owner_device, sshd, remote, known_hosts
):
    refused = launch(client, owner_device, target(sshd, remote, label="Dev box"))
    fingerprint = subprocess.run(
        ["ssh-keygen", "-lf", str(sshd.host_key.with_suffix(".pub"))], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert refused.status_code == 409
    failure = refused.json()["error"]
    assert failure["code"] == "unknown_host_key" and fingerprint in failure["message"]
    assert failure["details"] == {"fingerprint": fingerprint}
    assert not known_hosts.exists() and not Environment.objects.exists()

    saved = launch(client, owner_device, target(sshd, remote, label="Dev box", acceptNewHostKey=fingerprint))
    assert saved.status_code == 201, saved.json()
    environment = saved.json()
    assert environment["label"] == "Dev box" and environment["kind"] == "ssh"
    assert environment["ssh"] == {"host": "127.0.0.1", "port": sshd.port, "user": psutil.Process().username()}
    assert environment["httpBaseUrl"].startswith("http://127.0.0.1:")
    assert known_hosts.read_text().split() == sshd.host_public_key.split()


def test_a_key_other_than_the_approved_fingerprint_is_never_trusted(client, owner_device, sshd, remote, known_hosts):
    approved = "SHA256:" + "A" * 43
    refused = launch(client, owner_device, target(sshd, remote, acceptNewHostKey=approved))
    assert refused.status_code == 502
    assert "not the " + approved + " you approved" in refused.json()["error"]["message"]
    assert not known_hosts.exists() and not Environment.objects.exists()


def test_deleting_a_managed_ssh_environment_stops_its_remote_server(client, owner_device, sshd, remote, known_hosts):
    known_hosts.write_text(sshd.host_public_key)
    environment = launch(client, owner_device, target(sshd, remote)).json()
    (state,) = remote.glob("ssh-launch/*/state.json")
    pid = json.loads(state.read_text())["pid"]

    removed = client.delete(f"/api/environments/{environment['id']}", **owner_device.auth)
    assert removed.status_code == 200
    assert removed.json()["removed"] is True
    assert removed.json()["message"].startswith("Stopped the t3site server on")
    deadline = time.monotonic() + 15
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not psutil.pid_exists(pid)
    assert not Environment.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, 'target must be "[user@]host"'),
        ({"target": "127.0.0.1", "port": "22"}, "port must be a port number"),
        (
            {"target": "127.0.0.1", "acceptNewHostKey": "yes"},
            "acceptNewHostKey must be the SHA256: fingerprint you approved",
        ),
        ({"target": "127.0.0.1", "identity": ["a"]}, "identity and remoteDir must be paths"),
        ({"target": "127.0.0.1", "install": "yes"}, "install must be true or false"),
    ],
)
def test_it_refuses_a_malformed_request(client, owner_device, body, message):
    refused = launch(client, owner_device, body)
    assert refused.status_code == 400
    assert refused.json()["error"] == {"code": "bad_request", "message": message}


def test_a_bad_target_and_a_refused_login_answer_with_the_ssh_message(
    client, owner_device, sshd, remote, known_hosts, tmp_path
):
    known_hosts.write_text(sshd.host_public_key)
    missing = launch(client, owner_device, target(sshd, remote, identity=str(tmp_path / "no-such-key")))
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "bad_target"
    assert "does not exist" in missing.json()["error"]["message"]

    stranger = keygen(tmp_path / "stranger")
    denied = launch(client, owner_device, target(sshd, remote, identity=str(stranger)))
    assert denied.status_code == 502
    assert denied.json()["error"]["code"] == "ssh_failed"
    assert denied.json()["error"]["message"].startswith("permission denied for")

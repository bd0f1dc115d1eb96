"""Resolving `[USER@]HOST` through ~/.ssh/config, as OpenSSH does."""

from __future__ import annotations

import pytest

from environments.ssh.target import TargetError, resolve


@pytest.fixture
def ssh_config(tmp_path, monkeypatch):
    path = tmp_path / "config"
    path.write_text(
        """
Host devbox
    HostName 10.0.0.7
    User alice
    Port 2222
    IdentityFile ~/.ssh/devbox_ed25519

Host inside
    HostName 192.168.5.9
    ProxyJump bob@bastion:2200

Host legacy
    ProxyCommand nc %h %p
"""
    )
    monkeypatch.setenv("T3SITE_SSH_CONFIG", str(path))
    return path


def test_it_takes_hostname_user_port_and_identity_from_the_config(ssh_config):
    target = resolve("devbox")
    assert (target.alias, target.hostname, target.user, target.port) == ("devbox", "10.0.0.7", "alice", 2222)
    assert target.identity_files[0].endswith("/.ssh/devbox_ed25519") and "~" not in target.identity_files[0]
    assert target.known_hosts_name == "[10.0.0.7]:2222"


def test_the_command_line_wins_over_the_config(ssh_config, tmp_path):
    key = tmp_path / "carol"
    key.write_text("")
    target = resolve("carol@devbox", port=2022, identity=str(key))
    assert (target.user, target.port, target.identity_files) == ("carol", 2022, (str(key),))


def test_a_port_of_zero_is_refused_not_replaced_by_the_config(ssh_config):
    with pytest.raises(TargetError, match="between 1 and 65535, not 0"):
        resolve("devbox", port=0)


def test_it_refuses_an_identity_file_that_does_not_exist(ssh_config):
    with pytest.raises(TargetError, match="identity file /nowhere/key does not exist"):
        resolve("devbox", identity="/nowhere/key")


def test_it_follows_a_proxy_jump(ssh_config):
    jump = resolve("inside").proxy_jump
    assert (jump.hostname, jump.user, jump.port) == ("bastion", "bob", 2200)


def test_it_refuses_a_proxy_command_rather_than_bypassing_it(ssh_config):
    with pytest.raises(TargetError, match="ProxyCommand"):
        resolve("legacy")


@pytest.mark.parametrize("text", ["", "alice@", "-oProxyCommand=x", "two words"])
def test_it_refuses_what_is_not_a_target(ssh_config, text):
    with pytest.raises(TargetError):
        resolve(text)


def test_launch_folders_differ_per_target_and_stay_readable(ssh_config):
    first, second = resolve("devbox").launch_key, resolve("carol@devbox").launch_key
    assert first != second and first.startswith("alice@devbox-2222-")

"""SSH environments driven as a user does: `environments ssh` in a subprocess, against the suite's real sshd."""

from __future__ import annotations

import json
import urllib.request

from tests.support.server import command_env, manage

# serve reconciles every 5 s, and opening a forward means an SSH login and a remote launcher run.
FORWARD_OPENS_WITHIN_SECONDS = 30
LAUNCH_TIMEOUT_SECONDS = 120


def known_hosts_env(home, known_hosts):
    """Return the environment of a local command run on ``home`` that trusts only ``known_hosts``
    (no ssh config, no agent: only the test key, whatever the developer runs)."""
    env = command_env(home, T3SITE_SSH_KNOWN_HOSTS=str(known_hosts), T3SITE_SSH_CONFIG=str(home / "no-ssh-config"))
    env.pop("SSH_AUTH_SOCK", None)
    return env


def launch_over_ssh(sshd, home, known_hosts, remote, *extra, identity=None, timeout=LAUNCH_TIMEOUT_SECONDS):
    """Run `environments ssh` against the suite's sshd with the test key; return the finished process."""
    args = [
        "environments",
        "ssh",
        "127.0.0.1",
        "--port",
        str(sshd.port),
        "--identity",
        str(identity or sshd.client_key),
    ]
    env = known_hosts_env(home, known_hosts)
    return manage(home, *args, "--remote-dir", str(remote), *extra, env=env, timeout=timeout)


def saved_environment(home, known_hosts) -> dict:
    """Return the one environment saved on ``home``."""
    (environment,) = json.loads(
        manage(home, "environments", "list", "--json", env=known_hosts_env(home, known_hosts)).stdout
    )
    return environment


def client_env_for(sshd, tmp_path):
    """Return a function giving the environment of a local command: the test's known_hosts, no ssh config or agent."""
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
    """Return whether the saved environment's forwarded address answers as that environment."""
    try:
        url = f"{environment['httpBaseUrl']}/.well-known/t3/environment"
        with urllib.request.urlopen(url, timeout=3) as response:
            return json.load(response)["environmentId"] == environment["environmentId"]
    except OSError:
        return False

"""`manage.py environments ssh --install` against a real OpenSSH server: t3site installed from scratch.

The remote's pip installs the requirements from the package index it is configured for,
as on any machine: here that is this machine's own (pip.conf's find-links and file://
indexes), so nothing is faked and nothing comes from .venv.
"""

from __future__ import annotations

import json
import os
import shutil

import psutil
import pytest

from environments.ssh.install import _pip_failure
from tests.support.server import manage
from tests.support.ssh_environments import known_hosts_env, launch_over_ssh, saved_environment
from tests.support.sshd import start_sshd, stop_remote_servers

INSTALL_TIMEOUT_SECONDS = 600


def test_it_installs_t3site_from_scratch_then_launches_pairs_and_saves(sshd, known_hosts, tmp_path):
    home, remote = tmp_path / "local", tmp_path / "remote" / "t3site"
    try:
        result = launch_over_ssh(sshd, home, known_hosts, remote, "--install", timeout=INSTALL_TIMEOUT_SECONDS)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == f"Installing t3site in {remote}/app on {psutil.Process().username()}@127.0.0.1:{sshd.port}."
        assert any(line.startswith("- Python: python3.") for line in lines)
        assert any("over SFTP" in line for line in lines) and "- Installed." in lines
        assert "Started t3site there" in result.stdout
        assert (remote / "app" / "manage.py").is_file() and not (remote / "app").is_symlink()
        assert (remote / "app" / ".venv" / "bin" / "python").exists()
        environment = saved_environment(home, known_hosts)
        assert environment["kind"] == "ssh" and environment["hasCredential"]
        assert environment["environmentId"] == (remote / "environment-id").read_text().strip()
    finally:
        stop_remote_servers(remote)


@pytest.fixture(scope="module")
def sshd_without_python(tmp_path_factory):
    """An sshd whose sessions have another HOME (no rc files) and a PATH with the tools but no Python."""
    folder = tmp_path_factory.mktemp("sshd-no-python")
    bin_dir, remote_home = folder / "bin", folder / "home"
    bin_dir.mkdir()
    remote_home.mkdir()
    for tool in ("sh", "uname", "mkdir", "df", "tail", "tar", "gzip", "rm", "cat"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    running = start_sshd(folder, {"HOME": str(remote_home), "PATH": str(bin_dir)})
    yield running
    running.stop()


def test_no_python_311_on_the_remote_path_is_one_clear_error_naming_the_step(sshd_without_python, tmp_path):
    known = tmp_path / "known_hosts"
    known.write_text(sshd_without_python.host_public_key)
    remote = tmp_path / "remote"
    result = launch_over_ssh(sshd_without_python, tmp_path / "local", known, remote, "--install")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "installing t3site failed at step 'find Python': no Python 3.11 or newer on 127.0.0.1's PATH" in line
    assert f"ssh -p {sshd_without_python.port} -i {sshd_without_python.client_key} " in line
    assert not (remote / "app").exists()
    listed = manage(
        tmp_path / "local", "environments", "list", "--json", env=known_hosts_env(tmp_path / "local", known)
    )
    assert json.loads(listed.stdout) == []


@pytest.mark.parametrize(
    ("pip_output", "said"),
    [
        ("ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device", "no space left"),
        (
            "ERROR: Could not find a version that satisfies the requirement Django==5.2.19 (from versions: none)\n"
            "ERROR: No matching distribution found for Django==5.2.19",
            "pip could not reach a package index from the remote",
        ),
        ("ERROR: something else entirely", "pip said: ERROR: something else entirely"),
    ],
)
def test_a_failed_pip_install_says_why_in_one_sentence(pip_output, said):
    assert said in _pip_failure(pip_output)

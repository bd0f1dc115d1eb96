"""`manage.py environments ssh` against a real OpenSSH server on loopback, the remote being this checkout."""

from __future__ import annotations

import json
import shlex
import socket
import stat
import subprocess
import sys
import urllib.request

import psutil
import pytest

from environments.management.commands.environments import Command as EnvironmentsCommand
from tests.support.server import ROOT, OutputReader, start_server
from tests.support.ssh_environments import known_hosts_env, launch_over_ssh, saved_environment
from tests.support.sshd import install_remote, keygen, stop_remote_servers

READY_SECONDS = 30


def _launch_state(remote) -> dict:
    (state,) = remote.glob("ssh-launch/*/state.json")
    return json.loads(state.read_text())


def _credentials(home) -> dict:
    return json.loads((home / "environment-credentials.json").read_text())["credentials"]


def _descriptor(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/.well-known/t3/environment", timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def launched(sshd, known_hosts, tmp_path_factory):
    """One first launch per module: its local home, remote folder and command output."""
    home = tmp_path_factory.mktemp("local")
    remote = install_remote(tmp_path_factory.mktemp("remote") / "t3site")
    result = launch_over_ssh(sshd, home, known_hosts, remote)
    yield home, remote, result
    stop_remote_servers(remote)


def test_first_launch_starts_a_managed_server_and_saves_the_environment(launched, known_hosts, sshd):
    home, remote, result = launched
    assert result.returncode == 0, result.stderr
    assert "Started t3site there" in result.stdout
    state = _launch_state(remote)
    assert state["mode"] == "managed"
    assert psutil.pid_exists(state["pid"])
    runtime = json.loads((remote / "server-runtime.json").read_text())
    assert runtime["pid"] == state["pid"] and runtime["bindHost"] == "127.0.0.1"
    environment = saved_environment(home, known_hosts)
    assert environment["kind"] == "ssh"
    assert environment["ssh"] == {"host": "127.0.0.1", "port": sshd.port, "user": psutil.Process().username()}
    assert environment["httpBaseUrl"].startswith("http://127.0.0.1:")
    assert environment["environmentId"] == (remote / "environment-id").read_text().strip()
    # Named by the remote's own label (its host name) and the SSH target, so it never looks like this server.
    user = psutil.Process().username()
    assert environment["label"] == f"{socket.gethostname()} · {user}@127.0.0.1:{sshd.port}"
    assert environment["hasCredential"]
    assert stat.S_IMODE((home / "environment-credentials.json").stat().st_mode) == 0o600


def test_a_second_launch_reuses_the_server_keeps_the_port_and_mints_a_new_session(launched, sshd, known_hosts):
    home, remote, _ = launched
    before, pid = saved_environment(home, known_hosts), _launch_state(remote)["pid"]
    token = _credentials(home)[before["environmentId"]]["sessionToken"]
    result = launch_over_ssh(sshd, home, known_hosts, remote)
    assert result.returncode == 0, result.stderr
    assert "Reusing the t3site server running there" in result.stdout and "managed" in result.stdout
    assert _launch_state(remote)["pid"] == pid
    after = saved_environment(home, known_hosts)
    assert (after["id"], after["httpBaseUrl"]) == (before["id"], before["httpBaseUrl"])
    assert _credentials(home)[after["environmentId"]]["sessionToken"] != token


def test_a_relaunch_picks_another_port_when_the_saved_one_is_taken(launched, sshd, known_hosts):
    home, remote, _ = launched
    before = saved_environment(home, known_hosts)
    saved_port = int(before["httpBaseUrl"].rsplit(":", 1)[1])
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the last launch's connections linger
        squatter.bind(("127.0.0.1", saved_port))
        squatter.listen()
        result = launch_over_ssh(sshd, home, known_hosts, remote)
    assert result.returncode == 0, result.stderr
    after = saved_environment(home, known_hosts)
    assert (after["id"], after["kind"], after["label"]) == (before["id"], "ssh", before["label"])
    assert after["httpBaseUrl"] != before["httpBaseUrl"]


def _printed_forward_only(stdout: str) -> list[str]:
    """Return the argument list of the `--forward-only` command a launch printed, as a shell would split it."""
    (hint,) = [part for part in stdout.split("`") if "--forward-only" in part]
    words = shlex.split(hint)
    assert words[0] == "manage.py"
    return words[1:]


def test_the_printed_forward_only_command_parses_with_the_port_it_needs(launched, sshd):
    _, _, result = launched
    command, *words = _printed_forward_only(result.stdout)
    assert command == "environments"
    options = vars(EnvironmentsCommand().create_parser("manage.py", command).parse_args(words))
    assert (options["target"], options["port"], options["forward_only"]) == (
        f"{psutil.Process().username()}@127.0.0.1",
        sshd.port,
        True,
    )


def test_forward_only_as_printed_keeps_the_saved_port_open_and_a_relaunch_pairs_through_it(launched, sshd, known_hosts):
    home, remote, first = launched
    environment = saved_environment(home, known_hosts)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *_printed_forward_only(first.stdout)],
        cwd=ROOT,
        env=known_hosts_env(home, known_hosts),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    reader = OutputReader(process.stdout)
    try:
        assert reader.wait_for(lambda lines: any("Forwarding" in line for line in lines), READY_SECONDS), reader.text()
        assert _descriptor(environment["httpBaseUrl"])["environmentId"] == environment["environmentId"]
        relaunched = launch_over_ssh(sshd, home, known_hosts, remote)
        assert relaunched.returncode == 0, relaunched.stderr
        assert saved_environment(home, known_hosts)["httpBaseUrl"] == environment["httpBaseUrl"]
        assert _descriptor(environment["httpBaseUrl"])["environmentId"] == environment["environmentId"]
    finally:
        process.send_signal(2)
        assert process.wait(timeout=15) == 0, reader.text()
    assert "Forward closed." in reader.text()


def test_concurrent_launches_to_one_target_start_one_server(sshd, known_hosts, tmp_path):
    remote = install_remote(tmp_path / "remote")
    homes = [tmp_path / "a", tmp_path / "b"]
    args = ["environments", "ssh", "127.0.0.1", "--port", str(sshd.port), "--identity", str(sshd.client_key)]
    processes = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args, "--remote-dir", str(remote)],
            cwd=ROOT,
            env=known_hosts_env(home, known_hosts),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for home in homes
    ]
    try:
        outputs = [process.communicate(timeout=120) for process in processes]
        assert [process.returncode for process in processes] == [0, 0], outputs
        assert sum("Started t3site there" in out for out, _ in outputs) == 1
        assert sum("Reusing" in out for out, _ in outputs) == 1
        assert len({saved_environment(home, known_hosts)["environmentId"] for home in homes}) == 1
    finally:
        stop_remote_servers(remote)


def test_it_reuses_a_server_it_did_not_start_as_external(sshd, known_hosts, tmp_path):
    remote = install_remote(tmp_path / "remote")
    server = start_server(remote)
    try:
        result = launch_over_ssh(sshd, tmp_path / "local", known_hosts, remote)
        assert result.returncode == 0, result.stderr
        assert "external, so removing the environment leaves it running" in result.stdout
        state = _launch_state(remote)
        assert (state["pid"], state["mode"]) == (server.process.pid, "external")
    finally:
        server.stop()


def test_a_failed_start_shows_the_last_lines_of_the_remote_log(sshd, known_hosts, tmp_path):
    remote = tmp_path / "broken"
    app = remote / "app"
    app.mkdir(parents=True)
    (app / ".venv").symlink_to(ROOT / ".venv")
    (app / "manage.py").write_text("import sys\nprint('serve: the database is on fire')\nsys.exit(3)\n")
    result = launch_over_ssh(sshd, tmp_path / "local", known_hosts, remote)
    assert result.returncode == 1
    assert "t3site did not start: the server exited with status 3" in result.stderr
    assert "Last lines of the remote log:" in result.stderr
    assert "serve: the database is on fire" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_installation_is_reported_with_the_commands_that_fix_it(sshd, known_hosts, tmp_path):
    result = launch_over_ssh(sshd, tmp_path / "local", known_hosts, tmp_path / "empty")
    assert result.returncode == 1
    assert f"t3site is not installed in {tmp_path / 'empty'}/app" in result.stderr
    # The printed commands log in as the launcher did: port, key and user.
    login = f"ssh -p {sshd.port} -i {sshd.client_key} {psutil.Process().username()}@127.0.0.1 "
    assert f"git -C {ROOT} archive --format=tar HEAD | {login}" in result.stderr
    assert "run the same command with --install" in result.stderr
    assert "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt" in result.stderr


def test_it_refuses_an_unknown_host_key_showing_its_fingerprint(sshd, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    result = launch_over_ssh(sshd, tmp_path / "local", known_hosts, tmp_path / "remote")
    fingerprint = subprocess.run(
        ["ssh-keygen", "-lf", str(sshd.host_key.with_suffix(".pub"))], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert result.returncode == 1
    assert f"the host key of [127.0.0.1]:{sshd.port} is not known" in result.stderr
    assert fingerprint in result.stderr and "--accept-new-host-key" in result.stderr
    assert not known_hosts.exists()


def test_it_refuses_a_changed_host_key(sshd, tmp_path):
    impostor = keygen(tmp_path / "impostor")
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{sshd.port} " + " ".join(impostor.with_suffix(".pub").read_text().split()[:2]))
    result = launch_over_ssh(sshd, tmp_path / "local", known_hosts, tmp_path / "remote", "--accept-new-host-key")
    assert result.returncode == 1
    assert "has CHANGED" in result.stderr and "ssh-keygen -f" in result.stderr


def test_it_says_permission_denied_for_a_key_the_server_does_not_accept(sshd, known_hosts, tmp_path):
    stranger = keygen(tmp_path / "stranger")
    result = launch_over_ssh(sshd, tmp_path / "local", known_hosts, tmp_path / "remote", identity=stranger)
    assert result.returncode == 1
    assert f"permission denied for {psutil.Process().username()}@127.0.0.1:{sshd.port}" in result.stderr
    assert str(stranger) in result.stderr and "Traceback" not in result.stderr

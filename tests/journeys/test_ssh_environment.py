"""SSH launch that ends in a working phone: the phone paired only with the workstation works on the remote.

`manage.py environments ssh` launches t3site on the "remote" (this machine behind the suite's real
sshd, its own folder); the workstation's `serve` opens the SSH forward, and the phone, paired only
with the workstation, finds the remote in its saved environments "through this server", opens it
with one tap through the relay (`/via/<environmentId>/ws`, docs/contract.md §8) and runs a command
in a terminal there. The workstation's server then restarts (same home, same port): once its forward
is back the phone opens the remote again the same way, and the terminal it left there still runs.
"""

from __future__ import annotations

import json
import socket

import pytest

from tests.support.browser import wait_for
from tests.support.server import add_project, manage, start_server
from tests.support.ssh_environments import FORWARD_OPENS_WITHIN_SECONDS, client_env_for, launch
from tests.support.sshd import install_remote, start_sshd, stop_remote_servers


@pytest.fixture
def sshd(tmp_path):
    """A real OpenSSH server on loopback: the way in to the "remote"."""
    running = start_sshd(tmp_path / "sshd")
    yield running
    running.stop()


@pytest.fixture
def remote(tmp_path):
    """The remote's t3site folder, with one project `lab`; the server `environments ssh` starts there dies after."""
    folder = install_remote(tmp_path / "remote")
    try:
        add_project(folder, tmp_path / "remote-code" / "lab", {"NOTES.md": "# lab\nOn the remote machine.\n"})
        yield folder
    finally:
        stop_remote_servers(folder)


@pytest.fixture
def workstation(sshd, tmp_path):
    """Start `serve` on a clean home, with an SSH client that trusts only the suite's sshd; stop every one after."""
    env = client_env_for(sshd, tmp_path)
    started = []

    def serve(home, *args):
        server = start_server(home, *args, env=env(home))
        started.append(server)
        return server

    serve.env = env
    yield serve
    for server in started:
        server.stop()


def remote_row(environment_id: str) -> str:
    return f'#environments-list li[data-environment-id="{environment_id}"]'


def sees_the_row_become_reachable(phone, row: str) -> list[str]:
    """Wait until the row says "reachable · through this server"; until then it may only say it is checking or
    forwarding (serve opens an SSH forward within seconds), never "unreachable". Return the states it showed."""
    shown: list[str] = []

    def reachable() -> bool:
        state = phone.text_of(f"{row} [data-field=state]")
        if not shown or shown[-1] != state:
            shown.append(state)
        return state == "reachable · through this server"

    wait_for(reachable, timeout=FORWARD_OPENS_WITHIN_SECONDS, message=f"{row} to be reachable through this server")
    assert set(shown) <= {"checking…", "forwarding…", "reachable · through this server"}, shown
    return shown


def test_a_phone_paired_only_with_the_workstation_works_on_the_machine_it_launched_over_ssh(
    sshd, remote, workstation, tmp_path, people
):
    home = tmp_path / "workstation-home"
    environment = launch(sshd, home, remote, workstation.env)
    environment_id, label = environment["environmentId"], environment["label"]
    assert environment["kind"] == "ssh"
    server = workstation(home)
    here = server.base_url.removeprefix("http://")
    row = remote_row(environment_id)

    phone = people("phone")
    phone.opens(server.printed["Pairing URL"])
    phone.sees("No projects yet")  # the workstation's own projects: none

    # The saved environments: the remote, saved on this server, reached through it once serve forwards it.
    phone.taps("#app-place")
    phone.sees("This server")
    phone.sees("1 saved environment.")
    phone.sees_in(row, label)
    phone.sees_in(row, "saved on this server")
    sees_the_row_become_reachable(phone, row)
    phone.sees_in(f"{row} [data-field=detail]", "with this server's credential: read, write, terminal")
    phone.does_not_see("not paired")

    # One tap: the remote's projects, and the header says it goes through this server.
    phone.taps(f"{row} [data-field=open]")
    phone.sees_in("#project-list", "lab")
    phone.sees_in("#app-place-label", label)
    phone.sees_in("#app-place-host", f"via {here}")
    phone.sees_in("#app-connection", "open")
    phone.sees_a_styled_page()
    phone.sees("Opened through this server")
    assert environment["httpBaseUrl"].removeprefix("http://") not in phone.screen_text()  # the forward stays here

    phone.taps("#project-list [data-project-id]")
    phone.sees_in("#file-tree", "NOTES.md")
    phone.taps_text("New terminal")
    phone.sees_in("#terminal-tabs", "lab")
    phone.types_in_the_terminal("echo remote-$((6*7))")
    phone.sees_in_the_terminal("remote-42", after="echo remote-$((6*7))")
    phone.screenshot("relayed-terminal")
    # The phone never paired with the remote: the one session there is the workstation's credential.
    sessions = json.loads(manage(remote, "auth", "session", "list", "--json").stdout)
    assert [session["label"] for session in sessions] == [f"t3site on {socket.gethostname()} (ssh)"], sessions

    # The workstation's server restarts on the same home and port; the remote's server keeps running.
    port = server.base_url.rsplit(":", 1)[1]
    assert server.stop() == 0, server.output
    server = workstation(home, "--port", port)
    assert server.base_url.removeprefix("http://") == here
    # The phone reloads the remote's page at once: the page waits for the forward (it says so) and
    # opens the remote when it is back, never "pair again" nor "cannot be reached" meanwhile.
    phone.reloads()
    phone.sees_in("#app-connection", "open")
    phone.sees_in("#project-list", "lab")
    phone.does_not_see("cannot be reached")
    phone.does_not_see("pair again")
    phone.does_not_see("Pair again")
    # Its saved environments: the row waits for the forward ("forwarding…"), then opens with one tap again.
    phone.taps("#app-place")
    phone.sees_in(row, label)
    sees_the_row_become_reachable(phone, row)
    phone.taps(f"{row} [data-field=open]")
    phone.sees_in("#app-place-host", f"via {here}")
    phone.sees_in("#app-connection", "open")
    phone.sees_in("#project-list", "lab")
    phone.taps("#tab-terminals")
    phone.sees_in("#terminal-tabs", "lab")
    phone.sees_in_the_terminal("remote-42", after="echo remote-$((6*7))")  # its scrollback, kept on the remote
    phone.types_in_the_terminal("echo again-$((6*7))")
    phone.sees_in_the_terminal("again-42", after="echo again-$((6*7))")
    phone.screenshot("relayed-terminal-after-restart")

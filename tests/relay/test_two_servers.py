"""Two real servers (docs/contract.md §8): B saved on A with `environments add`, a phone paired only with A uses B.

Every step is what a person does: `manage.py serve` twice, the commands on each server's own
home, a phone's socket opened on A's /via/<B's environmentId>/ws with its bearer token.
"""

from __future__ import annotations

import json
import signal
import time
from dataclasses import dataclass

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.e2e import REVOCATION_DEADLINE_SECONDS, pair_bearer, rpc
from tests.support.http import request
from tests.support.server import RunningServer, manage, start_server


@dataclass
class TwoServers:
    b: RunningServer
    a: RunningServer | None
    project_id: str
    phone_token: str  # a device paired with A only
    b_id: str = ""  # B's environmentId

    def relay_url(self, environment_id: str | None = None) -> str:
        return self.a.base_url.replace("http://", "ws://", 1) + f"/via/{environment_id or self.b_id}/ws"

    def open(self, token: str | None = None, environment_id: str | None = None) -> ClientConnection:
        headers = {"Authorization": f"Bearer {token or self.phone_token}"}
        return connect(self.relay_url(environment_id), additional_headers=headers, open_timeout=10)

    def save_b_on_a(self) -> None:
        """`environments add` on A with a fresh client link of B's (read, write, terminal)."""
        link = json.loads(
            manage(self.b.home, "auth", "pairing", "create", "--json", "--base-url", self.b.base_url).stdout
        )
        added = manage(self.a.home, "environments", "add", link["pairingUrl"], "--label", "B")
        assert added.returncode == 0, added.stderr

    def device_on_a(self, *scopes: str) -> dict:
        flags = [part for scope in scopes for part in ("--scope", scope)]
        issued = manage(self.a.home, "auth", "session", "issue", "--role", "client", *flags, "--json")
        return json.loads(issued.stdout)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    root = tmp_path_factory.mktemp("two-servers")
    project = root / "project-on-b"
    project.mkdir()
    pair = TwoServers(start_server(root / "b"), None, "", "")
    try:
        pair.a = start_server(root / "a")
        added = manage(pair.b.home, "project", "add", str(project), "--title", "Only on B")
        assert added.returncode == 0, added.stderr
        pair.project_id = added.stdout.split()[2].rstrip(":")  # "Added project ID: TITLE (PATH)"
        pair.phone_token = pair_bearer(pair.a, label="phone")["sessionToken"]
        pair.save_b_on_a()
        pair.b_id = request("GET", f"{pair.b.base_url}/.well-known/t3/environment").json["environmentId"]
        yield pair
    finally:
        for server in (pair.a, pair.b):
            if server is not None:
                server.stop()


def closed(ws: ClientConnection, timeout: float) -> tuple[int, str]:
    """Read (and drop) frames until the server closes; return its close code and reason."""
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed) as ended:
        while True:
            ws.recv(timeout=max(0.01, deadline - time.monotonic()))
    assert ended.value.rcvd is not None, "the connection dropped without a close frame"
    return ended.value.rcvd.code, ended.value.rcvd.reason


def output_until(ws: ClientConnection, text: str, timeout: float = 10) -> None:
    seen, deadline = "", time.monotonic() + timeout
    while text not in seen:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame.get("method") == "terminal.output":
            seen += frame["params"]["data"]


def test_a_phone_paired_only_with_a_gets_bs_projects_and_a_terminals_output(servers):
    with servers.open() as ws:
        assert [p["title"] for p in rpc(ws, "projects.list")["result"]["projects"]] == ["Only on B"]
        opened = rpc(ws, "terminal.open", {"projectId": servers.project_id, "cols": 80, "rows": 24}, request_id=2)
        terminal_id = opened["result"]["terminalId"]
        ws.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "terminal.write",
                    "params": {"terminalId": terminal_id, "data": "echo b-$((6*7))\r"},
                }
            )
        )
        output_until(ws, "b-42")
    # The terminal lives on B: a new relayed socket attaches to it again.
    with servers.open() as ws:
        attached = rpc(ws, "terminal.attach", {"terminalId": terminal_id})
        assert "b-42" in json.dumps(attached["result"])
        rpc(ws, "terminal.close", {"terminalId": terminal_id}, request_id=2)


def test_a_read_only_device_gets_32001_from_the_backend_for_terminal_open(servers):
    reader = servers.device_on_a("read")
    with servers.open(reader["sessionToken"]) as ws:
        assert rpc(ws, "projects.list")["result"]["projects"]
        refused = rpc(ws, "terminal.open", {"projectId": servers.project_id, "cols": 80, "rows": 24}, request_id=2)
        assert refused["error"]["code"] == -32001


def test_an_unknown_environment_closes_with_4404(servers):
    with servers.open(environment_id="not-saved-here") as ws:
        assert closed(ws, 5)[0] == 4404


def test_revoking_the_device_on_a_closes_the_relayed_socket_within_2_seconds(servers):
    device = servers.device_on_a("read", "write", "terminal")
    with servers.open(device["sessionToken"]) as ws:
        assert rpc(ws, "server.probe")["result"]["ok"]
        revoked = manage(servers.a.home, "auth", "session", "revoke", device["sessionId"])
        assert revoked.returncode == 0, revoked.stderr
        started = time.monotonic()
        assert closed(ws, REVOCATION_DEADLINE_SECONDS + 1)[0] == 4410
        assert time.monotonic() - started <= REVOCATION_DEADLINE_SECONDS


def test_the_backend_revoking_the_saved_credential_closes_the_relayed_socket_with_4410(servers):
    with servers.open() as ws:
        session_on_b = rpc(ws, "server.info")["result"]["session"]["id"]
        revoked = manage(servers.b.home, "auth", "session", "revoke", session_on_b)
        assert revoked.returncode == 0, revoked.stderr
        started = time.monotonic()
        assert closed(ws, REVOCATION_DEADLINE_SECONDS + 1)[0] == 4410
        assert time.monotonic() - started <= REVOCATION_DEADLINE_SECONDS
    with servers.open() as ws:
        assert closed(ws, 5) == (4502, "the backend refused the saved credential")
    servers.save_b_on_a()


def test_removing_the_environment_on_a_closes_the_relayed_socket_with_4410(servers):
    with servers.open() as ws:
        assert rpc(ws, "server.probe")["result"]["ok"]
        removed = manage(servers.a.home, "environments", "remove", servers.b_id)
        assert removed.returncode == 0, removed.stderr
        started = time.monotonic()
        assert closed(ws, REVOCATION_DEADLINE_SECONDS + 1)[0] == 4410
        assert time.monotonic() - started <= REVOCATION_DEADLINE_SECONDS
    with servers.open() as ws:
        assert closed(ws, 5)[0] == 4404
    servers.save_b_on_a()


def test_b_stopped_gives_4502_with_the_reason_and_b_back_lets_a_new_relay_connect(servers):
    port = servers.b.base_url.rsplit(":", 1)[1]
    with servers.open() as ws:
        assert rpc(ws, "server.probe")["result"]["ok"]
        servers.b.stop()
        code, reason = closed(ws, 10)
        assert code == 4502 and "backend" in reason, reason
    with servers.open() as ws:
        code, reason = closed(ws, 10)
        assert code == 4502 and "Connection refused" in reason, reason
    servers.b = start_server(servers.b.home, "--port", port)
    with servers.open() as ws:
        assert rpc(ws, "server.probe")["result"]["ok"]


def test_a_phone_that_stops_reading_holds_up_the_backend_as_on_a_direct_socket(servers):
    flood = ["sh", "-c", "yes 0123456789012345678901234567890123456789"]
    with servers.open() as ws:
        rpc(ws, "terminal.open", {"cols": 80, "rows": 24, "command": flood})
        # The phone reads nothing: the relay stops reading B once it holds 1 M characters, so B's
        # terminal sees its socket stall and detaches it (5 s), as for a direct phone that stopped.
        time.sleep(8)
        deadline = time.monotonic() + 20
        while True:
            frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if frame.get("method") == "terminal.detached":
                break
        assert frame["params"]["reason"] == "too far behind"
        terminal_id = frame["params"]["terminalId"]
        # The relayed socket itself is fine: it answers, and the terminal is closed through it.
        closing = json.dumps(
            {"jsonrpc": "2.0", "id": 2, "method": "terminal.close", "params": {"terminalId": terminal_id}}
        )
        ws.send(closing)
        while json.loads(ws.recv(timeout=5)).get("id") != 2:
            pass


def test_revoking_the_device_on_a_closes_its_relayed_socket_in_time_even_while_b_reads_nothing(servers):
    # B stops reading (its machine went to sleep, its SSH forward stalled) while the phone still
    # sends: the relay's send to B waits. The phone's revocation on A must not wait behind it.
    device = servers.device_on_a("read", "write", "terminal")
    with servers.open(device["sessionToken"]) as ws:
        assert rpc(ws, "server.probe")["result"]["ok"]
        servers.b.process.send_signal(signal.SIGSTOP)
        try:
            chunk = "x" * (1024 * 1024)
            for index in range(12):  # far more than the sockets between A and B hold
                ws.send(
                    json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "method": "terminal.write",
                            "params": {"terminalId": f"t{index}", "data": chunk},
                        }
                    )
                )
            time.sleep(1)  # A has handed B what B's sockets take, and waits
            revoked = manage(servers.a.home, "auth", "session", "revoke", device["sessionId"])
            assert revoked.returncode == 0, revoked.stderr
            started = time.monotonic()
            assert closed(ws, REVOCATION_DEADLINE_SECONDS + 1)[0] == 4410
            assert time.monotonic() - started <= REVOCATION_DEADLINE_SECONDS
        finally:
            servers.b.process.send_signal(signal.SIGCONT)
    with servers.open() as ws:  # B is back, and the relay with it
        assert rpc(ws, "server.probe")["result"]["ok"]

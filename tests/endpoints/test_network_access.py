"""Network access on a real server: toggled from the API, the listener moves and sessions stay."""

from __future__ import annotations

import json
import socket
import time

from t3site import home
from tests.support.http import request
from tests.support.server import manage, start_server

# Another loopback address: it only answers when the server listens on every interface.
OTHER_LOOPBACK = "127.0.0.2"
REBIND_SECONDS = 5


def owner_token(state) -> str:
    issued = manage(state, "auth", "session", "issue", "--json")
    assert issued.returncode == 0, issued.stderr
    return json.loads(issued.stdout)["sessionToken"]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(condition) -> bool:
    deadline = time.monotonic() + REBIND_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def set_mode(server, token: str, mode: str):
    return request(
        "POST",
        f"{server.base_url}/api/endpoints/network-access",
        {"mode": mode},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_turning_network_access_on_and_off_moves_the_listener_and_keeps_sessions(tmp_path):
    server = start_server(tmp_path / "home")
    try:
        port = int(server.base_url.rsplit(":", 1)[1])
        token = owner_token(server.home)
        assert not reachable(OTHER_LOOPBACK, port)

        turned_on = set_mode(server, token, "network-accessible")
        assert turned_on.status == 200, turned_on.body
        access = turned_on.json["networkAccess"]
        assert (access["bindHost"], access["port"], access["localOnly"]) == ("0.0.0.0", port, False)
        assert wait_until(lambda: reachable(OTHER_LOOPBACK, port))
        assert home.read_runtime(server.home)["bindHost"] == "0.0.0.0"
        session = request(
            "GET", f"http://{OTHER_LOOPBACK}:{port}/api/auth/session", headers={"Authorization": f"Bearer {token}"}
        )
        assert session.json["authenticated"] is True

        assert set_mode(server, token, "local-only").json["networkAccess"]["bindHost"] == "127.0.0.1"
        assert wait_until(lambda: not reachable(OTHER_LOOPBACK, port))
        assert home.read_runtime(server.home)["bindHost"] == "127.0.0.1"
        listed = request("GET", f"{server.base_url}/api/endpoints", headers={"Authorization": f"Bearer {token}"})
        assert listed.status == 200 and listed.json["networkAccess"]["canChange"] is True
        assert "Network access changed: now listening on 0.0.0.0:" in server.output
    finally:
        server.stop()


def test_serve_listens_where_the_saved_mode_says_when_no_host_is_given(tmp_path):
    first = start_server(tmp_path / "home")
    try:
        assert set_mode(first, owner_token(first.home), "network-accessible").status == 200
    finally:
        first.stop()
    again = start_server(tmp_path / "home")
    try:
        assert home.read_runtime(again.home)["bindHost"] == "0.0.0.0"
        assert reachable(OTHER_LOOPBACK, int(again.base_url.rsplit(":", 1)[1]))
    finally:
        again.stop()


def test_an_explicit_host_cannot_be_toggled_from_the_api(tmp_path):
    server = start_server(tmp_path / "home", "--host", "127.0.0.1")
    try:
        refused = set_mode(server, owner_token(server.home), "network-accessible")
        assert refused.status == 403
        assert refused.json["error"]["code"] == "operation_forbidden"
        assert "started with --host 127.0.0.1" in refused.json["error"]["message"]
        assert home.read_runtime(server.home)["bindHost"] == "127.0.0.1"
    finally:
        server.stop()

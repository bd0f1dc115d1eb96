"""Network access on a real server: toggled from the API, the listener moves and sessions stay."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
from contextlib import contextmanager

import pytest
from django.core.management import call_command

from endpoints.listening import BindError
from endpoints.models import ConnectionSettings
from server.listener import listen_instead
from t3site import home
from tests.support.http import request
from tests.support.server import ROOT, command_env, manage, start_server
from tests.support.waiting import eventually

# Another loopback address: it only answers when the server listens on every interface.
OTHER_LOOPBACK = "127.0.0.2"
# Documentation addresses (RFC 5737, TEST-NET-2 and -3): not this machine's, so binding them fails.
NOT_HERE, NOT_HERE_EITHER = "198.51.100.7", "203.0.113.7"
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
        assert eventually(lambda: reachable(OTHER_LOOPBACK, port), REBIND_SECONDS)
        assert home.read_runtime(server.home)["bindHost"] == "0.0.0.0"
        session = request(
            "GET", f"http://{OTHER_LOOPBACK}:{port}/api/auth/session", headers={"Authorization": f"Bearer {token}"}
        )
        assert session.json["authenticated"] is True
        assert_static_files_served(f"http://{OTHER_LOOPBACK}:{port}")

        assert set_mode(server, token, "local-only").json["networkAccess"]["bindHost"] == "127.0.0.1"
        assert eventually(lambda: not reachable(OTHER_LOOPBACK, port), REBIND_SECONDS)
        assert home.read_runtime(server.home)["bindHost"] == "127.0.0.1"
        listed = request("GET", f"{server.base_url}/api/endpoints", headers={"Authorization": f"Bearer {token}"})
        assert listed.status == 200 and listed.json["networkAccess"]["canChange"] is True
        assert "Network access changed: now listening on 0.0.0.0:" in server.output
        assert_static_files_served(server.base_url)
    finally:
        server.stop()


def assert_static_files_served(base_url: str) -> None:
    """Static files come through whitenoise's streaming, the path a moved listener once broke for good."""
    for path in ("/static/css/t3site.css", "/static/js/workspace/app-page.js"):
        served = request("GET", base_url + path, timeout=5)
        assert served.status == 200 and served.body, path


def test_turning_access_off_cuts_connections_that_came_in_over_the_network(server):
    token = owner_token(server.home)
    port = int(server.base_url.rsplit(":", 1)[1])
    assert set_mode(server, token, "network-accessible").status == 200
    over_the_network = http.client.HTTPConnection(OTHER_LOOPBACK, port, timeout=5)
    local = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for connection in (over_the_network, local):
        connection.request("GET", "/api/auth/session")
        assert connection.getresponse().read()

    assert set_mode(server, token, "local-only").status == 200
    # A keep-alive connection from another device must not outlive "only this machine".
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        over_the_network.request("GET", "/api/auth/session")
        over_the_network.getresponse().read()
    local.request("GET", "/api/auth/session")
    assert local.getresponse().status == 200


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


@contextmanager
def taken(host: str, port: int):
    """Hold ``host``:``port`` as another program would, listening."""
    with socket.socket() as other:
        other.bind((host, port))
        other.listen()
        yield


def test_when_the_port_is_taken_on_the_new_address_the_server_moves_to_another_port(tmp_path, fake_tailscale):
    server = start_server(
        tmp_path / "home", "--tailscale-serve", env=command_env(tmp_path / "home", **fake_tailscale.env())
    )
    try:
        port = int(server.base_url.rsplit(":", 1)[1])
        token = owner_token(server.home)
        assert fake_tailscale.target() == f"http://127.0.0.1:{port}"
        # 127.0.0.2:PORT does not clash with the server's 127.0.0.1:PORT, but 0.0.0.0:PORT clashes with it.
        with taken(OTHER_LOOPBACK, port):
            turned_on = set_mode(server, token, "network-accessible")
        assert turned_on.status == 200, turned_on.body
        access = turned_on.json["networkAccess"]
        moved = access["port"]
        assert (access["bindHost"], access["mode"]) == ("0.0.0.0", "network-accessible") and moved != port
        assert eventually(lambda: reachable(OTHER_LOOPBACK, moved), REBIND_SECONDS)
        assert (home.read_runtime(server.home)["port"], home.read_runtime(server.home)["bindHost"]) == (
            moved,
            "0.0.0.0",
        )
        assert f"Network access changed: now listening on 0.0.0.0:{moved}" in server.output
    finally:
        assert server.stop() == 0
    # The mapping made for the first port is undone too, though the server listened elsewhere by then.
    assert fake_tailscale.target() is None
    assert "Tailscale Serve on port 443 undone." in server.output


# A real Twisted reactor in a child process: a ListenerControl asked to move where it cannot.
FAILED_MOVE = """
import json, socket, sys, threading
from twisted.internet import reactor
from twisted.internet.protocol import Factory, Protocol
from endpoints.listening import BindError
from server.listener import ListenerControl, bind_listener

class Hello(Protocol):
    def connectionMade(self):
        self.transport.write(b"hello")
        self.transport.loseConnection()

listener = bind_listener("127.0.0.1", 0)
first_port = listener.getsockname()[1]
failures = []
control = ListenerControl("127.0.0.1", False, on_rebound=lambda c, failure: failures.append(str(failure)))

def move():
    try:
        control.rebind(sys.argv[1])
        refused = None
    except BindError as exc:
        refused = str(exc)
    with socket.create_connection(("127.0.0.1", control.port), timeout=5) as again:
        answer = again.recv(5).decode()
    print(json.dumps({"refused": refused, "host": control.bind_host, "port": control.port,
                      "firstPort": first_port, "failures": failures, "answer": answer}))
    reactor.callFromThread(reactor.stop)

def started():
    control.attach(reactor, Factory.forProtocol(Hello), listener)
    threading.Thread(target=move).start()

reactor.callWhenRunning(started)
reactor.run()
"""


def test_a_move_that_cannot_bind_leaves_the_server_on_its_previous_address():
    done = subprocess.run(
        [sys.executable, "-c", FAILED_MOVE, NOT_HERE], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert f"{NOT_HERE} is not an address of this machine" in outcome["refused"]
    assert f"the server listens on 127.0.0.1:{outcome['firstPort']} again" in outcome["refused"]
    assert (outcome["host"], outcome["port"], outcome["answer"]) == ("127.0.0.1", outcome["firstPort"], "hello")
    assert outcome["failures"] == [f"{NOT_HERE} is not an address of this machine"]
    assert f"Network access not changed, {NOT_HERE} is not an address of this machine" in done.stderr


def test_back_on_the_previous_host_it_takes_another_port_if_its_own_was_taken_meanwhile():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with taken("127.0.0.1", port):
        listener, failure = listen_instead(NOT_HERE, "127.0.0.1", port)
    with listener:
        assert listener.getsockname()[0] == "127.0.0.1" and listener.getsockname()[1] != port
    assert f"{NOT_HERE} is not an address of this machine" in str(failure)


def test_a_move_where_neither_address_can_be_bound_says_both_reasons():
    with pytest.raises(BindError) as lost:
        listen_instead(NOT_HERE, NOT_HERE_EITHER, 3773)
    assert f"{NOT_HERE} is not an address" in str(lost.value)
    assert f"listening on {NOT_HERE_EITHER} again failed too: {NOT_HERE_EITHER} is not an address" in str(lost.value)


class RefusingListener:
    """The running server's listener as the view sees it, when the new address cannot be bound."""

    bind_host, port, explicit_host = "127.0.0.1", 3773, False

    def rebind(self, host: str) -> None:
        raise BindError(f"{host} refused (the server listens on 127.0.0.1:3773 again)")


@pytest.mark.django_db
def test_a_mode_is_saved_only_once_the_server_listens_there(client, owner_device, monkeypatch):
    monkeypatch.setattr("endpoints.views.current_listener", RefusingListener)
    response = client.post(
        "/api/endpoints/network-access",
        {"mode": "network-accessible"},
        content_type="application/json",
        **owner_device.auth,
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "bind_failed"
    assert "listens on 127.0.0.1:3773 again" in response.json()["error"]["message"]
    assert ConnectionSettings.objects.current().network_access == "local-only"


@pytest.mark.django_db
def test_a_tailscale_mapping_is_undone_when_daphne_fails_to_start(fake_tailscale, settings, tmp_path, monkeypatch):
    settings.T3SITE_HOME = tmp_path

    def fail_to_start(listener, on_started, on_stopping, control):
        raise RuntimeError("daphne could not start")

    monkeypatch.setattr("server.management.commands.serve.run_daphne", fail_to_start)
    with pytest.raises(RuntimeError):
        call_command("serve", "--port", "0", "--no-qr", "--tailscale-serve")
    assert fake_tailscale.target() is None
    assert ["serve", "--https=443", "off"] in fake_tailscale.state["calls"]
    assert not (tmp_path / "tailscale-serve.json").exists()

"""`manage.py serve` for real: daphne in a subprocess, the printed token, the CLI, the socket."""

from __future__ import annotations

import http.cookiejar
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest
from django.core.management import get_commands, load_command_class
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

import t3site
from t3site import home
from tests.support.e2e import REVOCATION_DEADLINE_SECONDS, pair_bearer, rpc
from tests.support.http import request
from tests.support.server import ROOT, OutputReader, command_env, manage, start_server


def test_it_prints_the_banner_and_writes_the_runtime_file(server):
    assert server.base_url.startswith("http://127.0.0.1:")
    assert len(server.token) == 12
    assert server.printed["Pairing URL"] == f"{server.base_url}/pair#token={server.token}"
    runtime = home.read_runtime(server.home)
    assert {"pid", "host", "port", "origin", "startedAt", "environmentId"} <= set(runtime)
    assert runtime["origin"] == server.base_url and runtime["pid"] == server.process.pid
    assert (
        request("GET", f"{server.base_url}/.well-known/t3/environment").json["environmentId"]
        == runtime["environmentId"]
    )


def test_it_pairs_opens_the_socket_and_is_cut_off_by_a_revoke_from_the_cli(server):
    session = pair_bearer(server)
    with connect(server.ws_url, additional_headers={"Authorization": f"Bearer {session['sessionToken']}"}) as ws:
        assert rpc(ws, "server.probe")["result"]["ok"] is True
        revoked = manage(server.home, "auth", "session", "revoke", session["sessionId"])
        assert revoked.returncode == 0, revoked.stderr
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=REVOCATION_DEADLINE_SECONDS + 1)
        assert closed.value.rcvd.code == 4410
        assert time.monotonic() - started <= REVOCATION_DEADLINE_SECONDS
    assert (
        request(
            "POST",
            f"{server.base_url}/api/auth/ws-ticket",
            headers={"Authorization": f"Bearer {session['sessionToken']}"},
        ).status
        == 401
    )


def test_a_ticket_from_the_api_opens_the_socket(server):
    session = pair_bearer(server)
    ticket = request(
        "POST", f"{server.base_url}/api/auth/ws-ticket", headers={"Authorization": f"Bearer {session['sessionToken']}"}
    ).json
    with connect(f"{server.ws_url}?ticket={ticket['ticket']}", origin="https://hosted.example") as ws:
        assert rpc(ws, "server.info")["result"]["session"]["id"] == session["sessionId"]


def test_exactly_one_of_many_concurrent_http_claims_wins(server):
    statuses: list[int] = []
    start = threading.Barrier(10)

    def claim():
        start.wait(timeout=10)
        statuses.append(
            request("POST", f"{server.base_url}/api/auth/pair", {"token": server.token, "mode": "bearer"}).status
        )

    threads = [threading.Thread(target=claim) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200] + [401] * 9


def test_pair_mints_a_link_for_the_running_server(server):
    result = manage(server.home, "pair", "--role", "client", "--scope", "read", "--json")
    assert result.returncode == 0, result.stderr
    link = json.loads(result.stdout)
    assert link["pairingUrl"] == f"{server.base_url}/pair#token={link['token']}"
    assert link["scopes"] == ["read"]
    assert pair_bearer(server, link["token"])["scopes"] == ["read"]
    plain = manage(server.home, "pair", "--label", "ipad")
    assert plain.stdout.startswith(f"Pairing URL: {server.base_url}/pair#token=")
    # A later link is a client link, and says how long it works in words, as `serve` does.
    assert "for 'ipad': client (read write terminal), works once, for 5 minutes (until " in plain.stdout
    created = json.loads(manage(server.home, "auth", "pairing", "create", "--json").stdout)
    assert created["pairingUrl"].startswith(server.base_url)


def advice(running) -> str:
    """Return the banner's line on who can connect, once the banner is complete."""
    assert running.reader.wait_for(lambda lines: any("Press Ctrl+C" in line for line in lines), timeout=10)
    return next(line for line in running.output.splitlines() if line.startswith("Only this machine can connect."))


def test_the_banner_names_the_flags_for_other_devices_before_the_page(server):
    said = advice(server)
    assert (
        said.index("--host 0.0.0.0") < said.index('--host "$(tailscale ip -4)"') < said.index("/settings/connections/")
    )


def test_an_explicit_loopback_host_is_not_sent_to_the_page_that_cannot_change_it(tmp_path):
    running = start_server(tmp_path / "home", "--host", "127.0.0.1")
    try:
        said = advice(running)
        assert "--host 0.0.0.0" in said and "/settings/connections/" not in said
    finally:
        running.stop()


def test_version_is_t3sites_own_not_djangos(tmp_path):
    result = manage(tmp_path, "serve", "--version")
    assert result.returncode == 0 and result.stdout.strip() == t3site.__version__


@pytest.mark.parametrize("name", ["auth", "pair", "project", "environments"])
def test_every_t3site_command_prints_t3sites_version(name, capsys):
    command = load_command_class(get_commands()[name], name)
    with pytest.raises(SystemExit):
        command.create_parser("manage.py", name).parse_args(["--version"])
    assert capsys.readouterr().out.strip() == t3site.__version__


def test_the_token_serve_prints_stays_an_owner_token_and_names_the_device_by_its_browser(server):
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
    url = f"{server.base_url}/api/auth/pair"
    paired = request("POST", url, {"token": server.token, "mode": "bearer"}, headers={"User-Agent": agent}).json
    assert (paired["role"], paired["scopes"]) == ("owner", ["read", "write", "terminal", "admin"])
    [device] = json.loads(manage(server.home, "auth", "session", "list", "--json").stdout)
    assert device["label"] == "Chrome on Linux"


def test_pair_fails_clearly_when_no_server_runs(tmp_path):
    result = manage(tmp_path, "pair")
    assert result.returncode != 0
    assert "no t3site server is running" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_it_stops_cleanly_and_removes_the_runtime_file(tmp_path, sig):
    running = start_server(tmp_path / "home")
    assert home.read_runtime(running.home) is not None
    assert running.stop(sig) == 0
    assert home.read_runtime(running.home) is None
    assert "t3site stopped." in running.output


def test_a_stopping_server_closes_its_open_sockets_with_1001(tmp_path):
    running = start_server(tmp_path / "home")
    try:
        session = pair_bearer(running)
        with connect(running.ws_url, additional_headers={"Authorization": f"Bearer {session['sessionToken']}"}) as ws:
            assert rpc(ws, "server.probe")["result"]["ok"] is True
            assert running.stop(signal.SIGTERM) == 0
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
        assert closed.value.rcvd is not None, "the connection dropped without a close frame"
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "the server is stopping")
    finally:
        running.stop()


def test_a_busy_port_is_one_clear_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = manage(tmp_path, "serve", "--port", str(port), "--no-qr")
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("host", ["256.1.1.1", "no-such-host.invalid"])
def test_a_bad_host_is_one_clear_line(tmp_path, host):
    result = manage(tmp_path, "serve", "--host", host, "--port", "0", "--no-qr")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_wildcard_bind_prints_a_reachable_address(tmp_path):
    running = start_server(tmp_path / "home", "--host", "0.0.0.0")
    try:
        assert "0.0.0.0" not in running.base_url
        runtime = home.read_runtime(running.home)
        assert runtime["bindHost"] == "0.0.0.0"
        local = f"http://127.0.0.1:{runtime['port']}/.well-known/t3/environment"
        assert request("GET", local).status == 200
    finally:
        running.stop()


def test_it_applies_migrations_on_a_fresh_home_with_a_qr_code(tmp_path):
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "serve", "--port", "0"],
        env=command_env(tmp_path / "fresh"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    reader = OutputReader(process.stdout)
    try:
        assert reader.wait_for(lambda lines: any("Press Ctrl+C" in line for line in lines), timeout=30), reader.text()
        text = reader.text()
        assert "█" in text or "▀" in text  # the QR code
        assert (tmp_path / "fresh" / "db.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_revoking_from_the_admin_closes_the_devices_socket(server):
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    owner_link = manage(server.home, "auth", "pairing", "create", "--role", "owner", "--json")
    owner_token = json.loads(owner_link.stdout)["token"]
    pair = urllib.request.Request(
        f"{server.base_url}/api/auth/pair",
        data=json.dumps({"token": owner_token, "mode": "cookie"}).encode(),
        headers={"Content-Type": "application/json", "Origin": server.base_url},
    )
    browser.open(pair, timeout=10)
    phone = pair_bearer(server, label="phone")
    page = browser.open(f"{server.base_url}/admin/pairing/devicesession/", timeout=10).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    with connect(server.ws_url, additional_headers={"Authorization": f"Bearer {phone['sessionToken']}"}) as ws:
        assert rpc(ws, "server.probe")["result"]["ok"]
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": csrf,
                "action": "revoke_selected",
                "_selected_action": phone["sessionId"],
                "confirmed": "yes",
            }
        ).encode()
        action = urllib.request.Request(
            f"{server.base_url}/admin/pairing/devicesession/", data=form, headers={"Origin": server.base_url}
        )
        assert b"Revoked 1 device session" in browser.open(action, timeout=10).read()
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=REVOCATION_DEADLINE_SECONDS)
        assert closed.value.rcvd.code == 4410


def test_a_twenty_megabyte_body_under_api_is_a_json_413_not_an_html_page(server):
    reply = request("POST", f"{server.base_url}/api/auth/pair", {"token": "x" * 20_000_000})
    assert reply.status == 413 and reply.headers["content-type"] == "application/json"
    assert reply.json["error"]["code"] == "too_large"
    assert "Traceback" not in server.output

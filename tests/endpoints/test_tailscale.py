"""Tailscale discovery and Serve ownership, against the fake CLI (tests/support/fake_tailscale)."""

from __future__ import annotations

import pytest

from endpoints import serving, tailscale
from tests.endpoints.conftest import DNS_NAME
from tests.support.server import command_env, manage, start_server

SERVE_NOT_ENABLED = (
    "Serve is not enabled on your tailnet. To enable, visit: https://login.tailscale.com/f/serve?node=nFAKE123CNTRL"
)


def test_it_reads_the_magicdns_name_and_tailnet_addresses(fake_tailscale):
    me = tailscale.status()
    assert me.running and me.dns_name == DNS_NAME and me.addresses == ("100.101.102.103",)


def test_it_asks_the_cli_once_within_the_cache_window(fake_tailscale):
    tailscale.status()
    tailscale.status()
    assert fake_tailscale.state["calls"] == [["status", "--json"]]


def test_a_logged_out_node_has_no_https_endpoint(fake_tailscale):
    fake_tailscale.set(backendState="NeedsLogin")
    assert not tailscale.status().running
    assert tailscale.fronts(3773) is None


def test_a_stopped_daemon_is_reported_in_tailscales_own_words(fake_tailscale):
    fake_tailscale.set(daemonDown=True)
    with pytest.raises(tailscale.TailscaleError) as failure:
        tailscale.status()
    assert failure.value.message.startswith("failed to connect to local tailscaled; it doesn't appear to be running")


def test_it_maps_https_to_this_server_and_records_that_it_did(fake_tailscale, tmp_path):
    url = serving.set_up(tmp_path, 3773)
    assert url == f"https://{DNS_NAME}"
    assert fake_tailscale.target() == "http://127.0.0.1:3773"
    assert ["serve", "--bg", "--https=443", "http://127.0.0.1:3773"] in fake_tailscale.state["calls"]
    assert tailscale.fronts(3773) == url
    assert serving.undo_made(tmp_path, [3773]) == [443]
    assert fake_tailscale.target() is None
    assert ["serve", "--https=443", "off"] in fake_tailscale.state["calls"]


def test_it_refuses_a_port_that_fronts_another_server(fake_tailscale, tmp_path):
    fake_tailscale.front(443, "http://127.0.0.1:8080")
    with pytest.raises(tailscale.ServeConflict) as refused:
        serving.set_up(tmp_path, 3773)
    assert "already fronts http://127.0.0.1:8080, not this server" in refused.value.message
    assert fake_tailscale.target() == "http://127.0.0.1:8080"
    assert not any(call[:2] == ["serve", "--bg"] for call in fake_tailscale.state["calls"])


def test_it_leaves_a_mapping_someone_re_pointed_since(fake_tailscale, tmp_path):
    serving.set_up(tmp_path, 3773, 8443)
    fake_tailscale.front(8443, "http://127.0.0.1:9000")
    assert serving.undo_made(tmp_path, [3773]) == []
    assert fake_tailscale.target(8443) == "http://127.0.0.1:9000"


def test_it_does_not_undo_a_mapping_it_found_already_there(fake_tailscale, tmp_path):
    fake_tailscale.front(443, "http://127.0.0.1:3773")
    assert serving.set_up(tmp_path, 3773) == f"https://{DNS_NAME}"
    assert serving.undo_made(tmp_path, [3773]) == []
    assert fake_tailscale.target() == "http://127.0.0.1:3773"


def test_serve_not_enabled_reaches_the_page_word_for_word(fake_tailscale, client, owner_device):
    fake_tailscale.set(serveEnabled=False)
    response = client.post("/api/endpoints/tailscale-serve", {}, content_type="application/json", **owner_device.auth)
    assert response.status_code == 502
    assert response.json()["error"]["message"] == SERVE_NOT_ENABLED


def test_the_listing_offers_setup_then_shows_the_https_endpoint(fake_tailscale, client, owner_device, monkeypatch):
    monkeypatch.setattr("endpoints.advertised.local_addresses", lambda: [("tailscale0", "100.101.102.103")])
    listed = client.get("/api/endpoints", **owner_device.auth).json()
    (row,) = [e for e in listed["endpoints"] if e["kind"] == "tailscale-https"]
    assert row["canSetUp"] is True and row["status"] == "unavailable" and not row["isDefault"]
    set_up = client.post("/api/endpoints/tailscale-serve", {}, content_type="application/json", **owner_device.auth)
    assert set_up.status_code == 200, set_up.content
    (row,) = [e for e in set_up.json()["endpoints"] if e["kind"] == "tailscale-https"]
    assert row["httpBaseUrl"] == f"https://{DNS_NAME}" and row["preferenceKey"] == "tailscale:magicdns:https"
    assert "canSetUp" not in row and row["status"] == "unavailable"  # not verified: the name does not resolve here
    assert row["hostedCompatible"] is True and row["reachability"] == "private-network"


def test_serve_maps_tailscale_https_prints_the_link_and_undoes_it_at_exit(fake_tailscale, tmp_path):
    running = start_server(
        tmp_path / "home", "--tailscale-serve", env=command_env(tmp_path / "home", **fake_tailscale.env())
    )
    try:
        port = running.base_url.rsplit(":", 1)[1]
        assert fake_tailscale.target() == f"http://127.0.0.1:{port}"
        assert running.reader.wait_for(lambda lines: any("HTTPS pairing URL:" in line for line in lines), timeout=20)
        expected = f"HTTPS pairing URL: https://{DNS_NAME}/pair?host=https%3A%2F%2F{DNS_NAME}#token={running.token}"
        assert expected in running.output
    finally:
        assert running.stop() == 0
    assert fake_tailscale.target() is None
    assert "Tailscale Serve on port 443 undone." in running.output


def test_serve_refuses_to_take_over_another_servers_port_in_one_line(fake_tailscale, tmp_path):
    fake_tailscale.front(443, "http://127.0.0.1:8080")
    result = manage(
        tmp_path,
        "serve",
        "--port",
        "0",
        "--tailscale-serve",
        env=command_env(tmp_path, **fake_tailscale.env()),
        timeout=30,
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "already fronts http://127.0.0.1:8080" in result.stderr
    assert fake_tailscale.target() == "http://127.0.0.1:8080"


def test_pair_tailscale_prints_the_https_link_for_the_running_server(fake_tailscale, tmp_path):
    env = command_env(tmp_path / "home", **fake_tailscale.env())
    running = start_server(tmp_path / "home", env=env)
    try:
        result = manage(running.home, "pair", "--tailscale", env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"Pairing URL: https://{DNS_NAME}/pair?host=https%3A%2F%2F{DNS_NAME}#token=")
        fake_tailscale.set(serveEnabled=False, serve={})
        refused = manage(running.home, "pair", "--tailscale", env=env)
        assert refused.returncode != 0 and SERVE_NOT_ENABLED in refused.stderr
    finally:
        running.stop()
    assert fake_tailscale.target() is None

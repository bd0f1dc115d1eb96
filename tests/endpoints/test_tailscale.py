"""Tailscale discovery and Serve ownership, against the fake CLI (tests/support/fake_tailscale)."""

from __future__ import annotations

import pytest

from endpoints import serving, tailscale
from tests.support.server import command_env, manage, start_server
from tests.support.tailscale import DNS_NAME

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


@pytest.mark.parametrize(
    ("made_with", "named", "stop"),
    [
        (["--https=443", "text:Hello from my other app"], "already serves the text 'Hello from my other app'", "https"),
        (["--https=443", "/srv/www"], "already serves the files in /srv/www", "https"),
        (
            ["--https=443", "--set-path=/docs", "http://127.0.0.1:3773"],
            "already fronts http://127.0.0.1:3773 at /docs",
            "https",
        ),
        (["--tcp=443", "tcp://localhost:22"], "already forwards TCP to localhost:22", "tcp"),
    ],
    ids=["text", "path", "another-mount-point", "tcp-forward"],
)
def test_any_handler_on_the_port_holds_it_and_is_named(fake_tailscale, tmp_path, made_with, named, stop):
    fake_tailscale.shell("serve", "--bg", *made_with)
    before = fake_tailscale.state["serve"]
    with pytest.raises(tailscale.ServeConflict) as refused:
        serving.set_up(tmp_path, 3773)
    assert refused.value.message == (
        f"Tailscale Serve port 443 {named}, not this server: "
        f"stop that mapping (`tailscale serve --{stop}=443 off`) or choose another port."
    )
    assert fake_tailscale.state["serve"] == before
    assert serving.undo_made(tmp_path, [3773]) == [] and fake_tailscale.state["serve"] == before


@pytest.mark.parametrize("target", ["http://127.0.0.1:8080", "http://127.0.0.1:3773", "text:hi"])
def test_a_foreground_session_holds_its_port_even_when_it_fronts_this_server(fake_tailscale, tmp_path, target):
    with fake_tailscale.foreground("--https=443", target):
        with pytest.raises(tailscale.ServeConflict) as refused:
            serving.set_up(tmp_path, 3773)
        assert "is held by a foreground `tailscale serve` session" in refused.value.message
        assert "end that session (Ctrl+C where it runs)" in refused.value.message
        assert not any(call[:2] == ["serve", "--bg"] for call in fake_tailscale.state["calls"])
        assert serving.undo_made(tmp_path, [3773]) == []
        assert len(fake_tailscale.state["serve"]["Foreground"]) == 1
    assert not fake_tailscale.state.get("serve")


def test_a_foreground_session_on_another_port_leaves_this_one_free(fake_tailscale, tmp_path):
    with fake_tailscale.foreground("--https=8443", "text:elsewhere"):
        assert serving.set_up(tmp_path, 3773) == f"https://{DNS_NAME}"
        assert fake_tailscale.target() == "http://127.0.0.1:3773"


def test_it_leaves_its_mapping_on_when_someone_added_a_handler_to_the_port_since(fake_tailscale, tmp_path):
    serving.set_up(tmp_path, 3773)
    fake_tailscale.shell("serve", "--bg", "--https=443", "--set-path=/status", "text:ok")
    assert serving.undo_made(tmp_path, [3773]) == []
    assert fake_tailscale.target() == "http://127.0.0.1:3773"


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


def test_set_up_answers_what_is_still_unverified_not_only_the_url(fake_tailscale, client, owner_device):
    set_up = client.post("/api/endpoints/tailscale-serve", {}, content_type="application/json", **owner_device.auth)
    assert set_up.status_code == 200, set_up.content
    answer = set_up.json()
    (row,) = [e for e in answer["endpoints"] if e["kind"] == "tailscale-https"]
    assert answer["verification"] == {"ok": False, "reason": row["statusReason"]}
    assert answer["verification"]["reason"].startswith(f"https://{DNS_NAME} cannot be reached")


def test_set_up_on_a_held_port_is_a_conflict_naming_the_holder(fake_tailscale, client, owner_device):
    fake_tailscale.shell("serve", "--bg", "--https=443", "text:Hello")
    response = client.post("/api/endpoints/tailscale-serve", {}, content_type="application/json", **owner_device.auth)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "serve_conflict"
    assert "already serves the text 'Hello', not this server" in response.json()["error"]["message"]


def test_serve_maps_tailscale_https_prints_the_link_and_undoes_it_at_exit(fake_tailscale, tmp_path):
    running = start_server(
        tmp_path / "home", "--tailscale-serve", env=command_env(tmp_path / "home", **fake_tailscale.env())
    )
    try:
        port = running.base_url.rsplit(":", 1)[1]
        assert fake_tailscale.target() == f"http://127.0.0.1:{port}"
        assert running.reader.wait_for(lambda lines: any("Press Ctrl+C" in line for line in lines), timeout=20)
        expected = f"HTTPS pairing URL: https://{DNS_NAME}/pair?host=https%3A%2F%2F{DNS_NAME}#token={running.token}"
        lines = [line.strip() for line in running.output.splitlines()]
        assert expected in lines
        # In reading order: the links, whether the HTTPS one answers, then how to stop.
        said = [
            next(i for i, line in enumerate(lines) if line.startswith(start))
            for start in (
                "Pairing URL:",
                "Tailscale Serve:",
                "HTTPS pairing URL:",
                "Not verified yet:",
                "Press Ctrl+C to stop.",
            )
        ]
        assert said == sorted(said)
        # Tailscale Serve reaches a loopback-only server: it is not "this machine only".
        assert "Only this machine can connect" not in running.output
        assert "Devices on your tailnet connect through the HTTPS pairing URL" in running.output
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


def test_serve_refuses_a_port_a_text_handler_holds_and_leaves_it_alone(fake_tailscale, tmp_path):
    fake_tailscale.shell("serve", "--bg", "--https=443", "text:Hello")
    before = fake_tailscale.state["serve"]
    result = manage(
        tmp_path, "serve", "--port", "0", "--tailscale-serve", env=command_env(tmp_path, **fake_tailscale.env())
    )
    assert result.returncode != 0 and result.stderr.strip().count("\n") == 0
    assert "--tailscale-serve: Tailscale Serve port 443 already serves the text 'Hello'" in result.stderr
    assert fake_tailscale.state["serve"] == before


def test_serve_refuses_tailscale_serve_on_an_address_serve_cannot_reach(fake_tailscale, tmp_path):
    result = manage(
        tmp_path,
        "serve",
        "--host",
        "100.101.102.103",
        "--port",
        "0",
        "--tailscale-serve",
        env=command_env(tmp_path, **fake_tailscale.env()),
    )
    assert result.returncode != 0 and result.stderr.strip().count("\n") == 0
    assert "it listens on 100.101.102.103 only" in result.stderr
    assert "calls" not in fake_tailscale.state


def test_pair_tailscale_refuses_a_port_a_foreground_session_holds(fake_tailscale, tmp_path):
    env = command_env(tmp_path / "home", **fake_tailscale.env())
    running = start_server(tmp_path / "home", env=env)
    try:
        with fake_tailscale.foreground("--https=443", "/srv/www"):
            refused = manage(running.home, "pair", "--tailscale", env=env)
            assert refused.returncode != 0 and refused.stderr.strip().count("\n") == 0
            assert "held by a foreground `tailscale serve` session (it serves the files in /srv/www)" in refused.stderr
            assert not any(call[:2] == ["serve", "--bg"] for call in fake_tailscale.state["calls"])
    finally:
        running.stop()


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

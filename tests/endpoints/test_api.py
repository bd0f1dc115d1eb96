"""GET /api/endpoints and the owner's choices, through Django's test client."""

from __future__ import annotations

import json
import os

import pytest

from endpoints.models import ConnectionSettings
from t3site import home

pytestmark = pytest.mark.django_db
HOME_WIFI = [("lo", "127.0.0.1"), ("wlan0", "192.168.1.20"), ("tailscale0", "100.101.102.103")]


@pytest.fixture
def interfaces(monkeypatch, no_tailscale):
    """The machine's interfaces, as a list the test can change between requests."""
    current = list(HOME_WIFI)
    monkeypatch.setattr("endpoints.advertised.local_addresses", lambda: list(current))
    ConnectionSettings.objects.choose_network_access("network-accessible")
    return current


def listing(client, device) -> dict:
    response = client.get("/api/endpoints", **device.auth)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    return response.json()


def default_of(data) -> dict:
    (chosen,) = [e for e in data["endpoints"] if e["isDefault"]]
    return chosen


def test_it_lists_endpoints_for_an_owner_with_lan_as_the_default(client, owner_device, interfaces):
    data = listing(client, owner_device)
    assert [e["kind"] for e in data["endpoints"]] == ["loopback", "lan", "tailscale-ip"]
    assert default_of(data)["httpBaseUrl"] == "http://192.168.1.20:3773"
    assert data["tailscale"]["installed"] is False


def test_it_refuses_devices_without_the_admin_scope(client, client_device, interfaces):
    assert client.get("/api/endpoints", **client_device.auth).json()["error"]["code"] == "insufficient_scope"
    assert client.get("/api/endpoints").status_code == 401


def test_a_chosen_default_survives_an_ip_change(client, owner_device, interfaces):
    response = client.post(
        "/api/endpoints/default",
        {"preferenceKey": "tailscale:ip:http"},
        content_type="application/json",
        **owner_device.auth,
    )
    assert response.status_code == 200
    assert default_of(response.json())["kind"] == "tailscale-ip"
    interfaces[2] = ("tailscale0", "100.90.1.2")
    assert default_of(listing(client, owner_device))["httpBaseUrl"] == "http://100.90.1.2:3773"


def test_a_chosen_lan_default_follows_the_new_lan_address(client, owner_device, interfaces):
    client.post(
        "/api/endpoints/default",
        {"preferenceKey": "core:lan:http"},
        content_type="application/json",
        **owner_device.auth,
    )
    interfaces[1] = ("wlan0", "10.0.0.77")
    chosen = default_of(listing(client, owner_device))
    assert (chosen["kind"], chosen["httpBaseUrl"]) == ("lan", "http://10.0.0.77:3773")
    assert ConnectionSettings.objects.current().default_preference_key == "core:lan:http"


@pytest.mark.parametrize("key", ["core:loopback:http", "lan", "custom:http://plain.example", 7])
def test_it_refuses_a_default_that_cannot_be_one(client, owner_device, interfaces, key):
    response = client.post(
        "/api/endpoints/default", {"preferenceKey": key}, content_type="application/json", **owner_device.auth
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_a_configured_https_endpoint_is_listed_unavailable_until_verified(client, owner_device, interfaces, settings):
    settings.T3SITE_HTTPS_ENDPOINTS = ("https://127.0.0.1:9",)
    (custom,) = [e for e in listing(client, owner_device)["endpoints"] if e["kind"] == "custom-https"]
    assert custom["status"] == "unavailable" and custom["hostedCompatible"] is True
    assert custom["statusReason"].startswith("https://127.0.0.1:9 cannot be reached")
    assert custom["preferenceKey"] == "custom:https://127.0.0.1:9"


def test_it_draws_a_qr_code_as_svg_without_caching_it(client, owner_device):
    response = client.post(
        "/api/endpoints/qr",
        {"text": "http://192.168.1.20:3773/pair#token=ABCDEFGHJKLM"},
        content_type="application/json",
        **owner_device.auth,
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml" and response["Cache-Control"] == "no-store"
    assert b'fill="white"' in response.content and b"<path" in response.content
    assert client.post("/api/endpoints/qr", {"text": "x"}, content_type="application/json").status_code == 401


def test_network_access_is_saved_for_the_next_start_when_no_server_runs_here(client, owner_device, interfaces):
    response = client.post(
        "/api/endpoints/network-access", {"mode": "local-only"}, content_type="application/json", **owner_device.auth
    )
    assert response.status_code == 200
    assert response.json()["applied"] is False
    assert ConnectionSettings.objects.current().bind_host == "127.0.0.1"


def test_network_access_cannot_be_toggled_under_an_explicit_host(client, owner_device, settings):
    runtime = {"pid": os.getpid(), "host": "127.0.0.1", "port": 4000, "bindHost": "127.0.0.1", "explicitHost": True}
    home.write_runtime(settings.T3SITE_HOME, runtime)
    try:
        response = client.post(
            "/api/endpoints/network-access",
            {"mode": "network-accessible"},
            content_type="application/json",
            **owner_device.auth,
        )
        state = client.get("/api/endpoints/network-access", **owner_device.auth).json()["networkAccess"]
    finally:
        home.runtime_path(settings.T3SITE_HOME).unlink()
    assert response.status_code == 403
    assert "--host 127.0.0.1" in json.loads(response.content)["error"]["message"]
    assert state["explicitHost"] is True and state["canChange"] is False and state["port"] == 4000


def test_the_connections_page_tells_an_unpaired_browser_what_to_do(client):
    response = client.get("/settings/connections/")
    assert response.status_code == 401
    assert b"not paired" in response.content and b"python manage.py pair" in response.content


def test_the_connections_page_tells_a_client_device_it_needs_an_owner(client, client_device):
    response = client.get("/settings/connections/", **client_device.auth)
    assert response.status_code == 403
    assert b"without the <code>admin</code> scope" in response.content


def test_the_connections_page_opens_for_an_owner(client, owner_device):
    response = client.get("/settings/connections/", **owner_device.auth)
    assert response.status_code == 200
    assert b"js/endpoints/connections-page.js" in response.content
    # A link is made for an endpoint: the button waits for the page to load them.
    assert b'<button id="link-create" type="submit" disabled>' in response.content


def test_a_local_only_server_has_no_default_and_says_only_this_machine_can_reach_it(client, owner_device, interfaces):
    ConnectionSettings.objects.choose_network_access("local-only")
    data = listing(client, owner_device)
    assert not any(e["isDefault"] for e in data["endpoints"])
    (loopback,) = [e for e in data["endpoints"] if e["kind"] == "loopback"]
    assert loopback["statusReason"].startswith("Only this machine can reach the server")


def test_a_saved_default_stays_the_default_while_it_is_unavailable(client, owner_device, interfaces):
    ConnectionSettings.objects.choose_default("core:lan:http")
    ConnectionSettings.objects.choose_network_access("local-only")
    chosen = default_of(listing(client, owner_device))
    assert (chosen["kind"], chosen["status"]) == ("lan", "unavailable")
    assert "turn on network access" in chosen["statusReason"]

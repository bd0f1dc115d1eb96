"""The auth API of docs/contract.md §4, through Django's test client."""

from __future__ import annotations

import json

import pytest

from pairing.models import DeviceSession, PairingCredential
from pairing.ratelimit import AUTH_FAILURE_LIMIT

pytestmark = pytest.mark.django_db


def post(client, path, body=None, **headers):
    return client.post(path, json.dumps(body or {}), content_type="application/json", **headers)


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_bearer_mode_returns_a_session_token_with_no_store_and_open_cors(client):
    _, code = PairingCredential.objects.issue(role="client", scopes=["read"])
    response = post(
        client,
        "/api/auth/pair",
        {"token": code, "mode": "bearer", "label": "tablet"},
        HTTP_ORIGIN="https://hosted.example",
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"sessionId", "role", "scopes", "expiresAt", "sessionToken"}
    assert body["role"] == "client" and body["scopes"] == ["read"]
    assert body["sessionToken"].startswith("t3s_")
    assert response["Cache-Control"] == "no-store"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "t3site_session" not in response.cookies


def test_cookie_mode_sets_an_http_only_lax_cookie_and_no_token_in_the_body(client):
    _, code = PairingCredential.objects.issue()
    response = post(client, "/api/auth/pair", {"token": code, "mode": "cookie"}, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 200
    assert "sessionToken" not in response.json()
    cookie = response.cookies["t3site_session"]
    assert cookie.value.startswith("t3s_") and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["secure"]
    assert client.get("/api/auth/session").json()["authenticated"] is True


def test_cookie_mode_is_refused_from_another_origin(client):
    _, code = PairingCredential.objects.issue()
    response = post(client, "/api/auth/pair", {"token": code, "mode": "cookie"}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403 and error_code(response) == "forbidden_origin"
    assert PairingCredential.objects.claimable().count() == 1  # the token was not spent


def test_a_used_token_answers_exactly_like_an_unknown_one(client):
    _, code = PairingCredential.objects.issue()
    assert post(client, "/api/auth/pair", {"token": code, "mode": "bearer"}).status_code == 200
    used = post(client, "/api/auth/pair", {"token": code, "mode": "bearer"})
    unknown = post(client, "/api/auth/pair", {"token": "ABCDEFGHJKMN", "mode": "bearer"})
    assert used.status_code == unknown.status_code == 401
    assert used.json() == unknown.json()
    assert error_code(used) == "invalid_token"


def test_an_expired_token_says_so(client):
    from tests.support.clock import later

    _, code = PairingCredential.objects.issue()
    with later(301):
        response = post(client, "/api/auth/pair", {"token": code, "mode": "bearer"})
    assert response.status_code == 401 and error_code(response) == "expired_token"


@pytest.mark.parametrize(
    "body", [{"token": "short", "mode": "bearer"}, {"token": 5}, {"token": "ABCDEFGHJKMN", "mode": "magic"}]
)
def test_bad_input_is_a_400(client, body):
    response = post(client, "/api/auth/pair", body)
    assert response.status_code == 400 and error_code(response) == "bad_request"


def test_a_body_that_is_not_json_is_a_400(client):
    response = client.post("/api/auth/pair", "{nope", content_type="application/json")
    assert response.status_code == 400 and error_code(response) == "bad_request"


def test_failures_are_rate_limited_per_ip_with_retry_after(client):
    for _ in range(AUTH_FAILURE_LIMIT):
        assert post(client, "/api/auth/pair", {"token": "ABCDEFGHJKMN"}).status_code == 401
    _, code = PairingCredential.objects.issue()
    limited = post(client, "/api/auth/pair", {"token": code})
    assert limited.status_code == 429 and error_code(limited) == "rate_limited"
    assert 0 < int(limited["Retry-After"]) <= 600
    other_ip = post(client, "/api/auth/pair", {"token": code}, REMOTE_ADDR="192.0.2.50")
    assert other_ip.status_code == 200


def test_the_preflight_allows_any_origin_without_credentials(client):
    response = client.options("/api/auth/pair", HTTP_ORIGIN="https://hosted.example")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


def test_session_info_is_always_200(client, owner_device, revoked_device):
    assert client.get("/api/auth/session").json() == {"authenticated": False}
    assert client.get("/api/auth/session", **revoked_device.auth).json() == {"authenticated": False}
    body = client.get("/api/auth/session", **owner_device.auth).json()
    assert body["authenticated"] and body["sessionId"] == owner_device.session.id and body["label"] == "owner laptop"


def test_a_ticket_needs_a_session(client, owner_device, revoked_device):
    assert error_code(post(client, "/api/auth/ws-ticket")) == "unauthenticated"
    assert (
        error_code(post(client, "/api/auth/ws-ticket", HTTP_AUTHORIZATION="Bearer t3s_" + "x" * 43)) == "invalid_token"
    )
    assert error_code(post(client, "/api/auth/ws-ticket", **revoked_device.auth)) == "expired_token"
    response = post(client, "/api/auth/ws-ticket", **owner_device.auth)
    assert response.status_code == 200 and response.json()["ticket"].startswith("t3w_")
    assert response["Cache-Control"] == "no-store"


def test_a_cookie_sent_from_a_foreign_page_is_refused(client):
    _, code = PairingCredential.objects.issue()
    post(client, "/api/auth/pair", {"token": code, "mode": "cookie"})
    response = post(client, "/api/auth/ws-ticket", HTTP_ORIGIN="http://attacker.example")
    assert response.status_code == 403 and error_code(response) == "forbidden_origin"
    assert post(client, "/api/auth/ws-ticket", HTTP_ORIGIN="http://testserver").status_code == 200


def test_logout_revokes_the_calling_session(client, owner_device):
    assert post(client, "/api/auth/logout", **owner_device.auth).json() == {"revoked": True}
    assert DeviceSession.objects.get(pk=owner_device.session.pk).state == "revoked"
    assert error_code(post(client, "/api/auth/ws-ticket", **owner_device.auth)) == "expired_token"


def test_pairing_links_are_managed_with_the_admin_scope_only(client, owner_device, client_device):
    denied = client.get("/api/auth/pairing-links", **client_device.auth)
    assert denied.status_code == 403 and error_code(denied) == "insufficient_scope"
    created = post(
        client,
        "/api/auth/pairing-links",
        {"label": "ipad", "ttl": "10m", "role": "client", "scopes": ["read"]},
        **owner_device.auth,
    )
    assert created.status_code == 201
    link = created.json()
    assert {"id", "token", "expiresAt", "pairingUrl"} <= set(link)
    assert link["pairingUrl"] == f"http://testserver/pair#token={link['token']}"
    listing = client.get("/api/auth/pairing-links", **owner_device.auth).json()["pairingLinks"]
    assert [item["id"] for item in listing] == [link["id"]]
    assert link["token"] not in json.dumps(listing) and "digest" not in json.dumps(listing)
    revoked = client.delete(f"/api/auth/pairing-links/{link['id']}", **owner_device.auth)
    assert revoked.json()["revoked"] is True
    assert client.delete("/api/auth/pairing-links/nope", **owner_device.auth).status_code == 404


def test_a_link_is_a_client_link_unless_the_body_asks_for_owner(client, owner_device):
    plain = post(client, "/api/auth/pairing-links", {"label": "phone"}, **owner_device.auth).json()
    owner = post(client, "/api/auth/pairing-links", {"role": "owner"}, **owner_device.auth).json()
    assert (plain["role"], plain["scopes"]) == ("client", ["read", "write", "terminal"])
    assert (owner["role"], owner["scopes"]) == ("owner", ["read", "write", "terminal", "admin"])


def test_a_device_shows_the_link_it_paired_with(client, owner_device):
    link = post(client, "/api/auth/pairing-links", {"label": "ipad"}, **owner_device.auth).json()
    paired = post(client, "/api/auth/pair", {"token": link["token"], "mode": "bearer"}).json()
    [listed] = [s for s in client.get("/api/auth/sessions", **owner_device.auth).json()["sessions"] if not s["current"]]
    assert listed["id"] == paired["sessionId"]
    assert (listed["label"], listed["pairingId"], listed["pairingLabel"]) == ("ipad", link["id"], "ipad")


def patch(client, path, body, **headers):
    return client.patch(path, json.dumps(body), content_type="application/json", **headers)


def test_an_admin_renames_a_device_and_its_own(client, owner_device, client_device):
    path = f"/api/auth/sessions/{client_device.session.id}"
    renamed = patch(client, path, {"label": " Kid's tablet "}, **owner_device.auth)
    assert renamed.status_code == 200
    assert renamed.json()["label"] == "Kid's tablet" and renamed.json()["current"] is False
    own = patch(client, f"/api/auth/sessions/{owner_device.session.id}", {"label": "Desk"}, **owner_device.auth)
    assert own.json()["label"] == "Desk" and own.json()["current"] is True
    assert DeviceSession.objects.get(pk=client_device.session.id).label == "Kid's tablet"


@pytest.mark.parametrize("body", [{}, {"label": "   "}, {"label": ["a"]}])
def test_a_rename_without_a_name_is_a_400(client, owner_device, client_device, body):
    response = patch(client, f"/api/auth/sessions/{client_device.session.id}", body, **owner_device.auth)
    assert response.status_code == 400 and error_code(response) == "bad_request"
    assert "label" in response.json()["error"]["message"]
    assert DeviceSession.objects.get(pk=client_device.session.id).label == "client phone"


def test_only_an_admin_renames_and_only_a_device_that_exists(client, owner_device, client_device):
    denied = patch(client, f"/api/auth/sessions/{owner_device.session.id}", {"label": "mine"}, **client_device.auth)
    assert denied.status_code == 403 and error_code(denied) == "insufficient_scope"
    missing = patch(client, "/api/auth/sessions/nope", {"label": "x"}, **owner_device.auth)
    assert missing.status_code == 404 and error_code(missing) == "not_found"


def test_an_owner_cannot_mint_admin_for_a_client(client, owner_device):
    response = post(client, "/api/auth/pairing-links", {"role": "client", "scopes": ["admin"]}, **owner_device.auth)
    assert response.status_code == 400 and "owner-only" in response.json()["error"]["message"]


def test_sessions_are_listed_with_the_callers_own_marked_current(client, owner_device, client_device):
    sessions = client.get("/api/auth/sessions", **owner_device.auth).json()["sessions"]
    assert {s["id"]: s["current"] for s in sessions} == {owner_device.session.id: True, client_device.session.id: False}
    assert owner_device.token not in json.dumps(sessions)


def test_an_admin_cannot_revoke_its_own_session_by_id(client, owner_device):
    response = client.delete(f"/api/auth/sessions/{owner_device.session.id}", **owner_device.auth)
    assert response.status_code == 403 and error_code(response) == "operation_forbidden"


def test_an_admin_revokes_another_device_and_all_others(client, owner_device, client_device, read_only_device):
    assert client.delete(f"/api/auth/sessions/{client_device.session.id}", **owner_device.auth).json()["revoked"]
    assert client.delete("/api/auth/sessions/unknown", **owner_device.auth).status_code == 404
    response = post(client, "/api/auth/sessions/revoke-others", **owner_device.auth)
    assert response.json() == {"revokedCount": 1}
    assert list(DeviceSession.objects.active()) == [owner_device.session]


def test_a_wrong_method_is_a_json_405(client):
    response = client.put("/api/auth/pair")
    assert response.status_code == 405 and error_code(response) == "method_not_allowed"


def test_the_descriptor_is_public_with_cors_star(client, settings):
    from t3site import home

    response = client.get("/.well-known/t3/environment", HTTP_ORIGIN="https://anywhere.example")
    body = response.json()
    assert set(body) == {"environmentId", "label", "platform", "serverVersion", "capabilities"}
    assert body["environmentId"] == home.environment_id(settings.T3SITE_HOME)
    assert set(body["platform"]) == {"os", "arch"} and "server" in body["capabilities"]
    assert response["Access-Control-Allow-Origin"] == "*"


def test_concurrent_guesses_cannot_slip_past_the_limit(transactional_db):
    import threading

    from django.test import Client

    statuses: list[int] = []
    start = threading.Barrier(30)

    def guess() -> None:
        start.wait(timeout=10)
        statuses.append(post(Client(), "/api/auth/pair", {"token": "ABCDEFGHJKMN"}).status_code)

    threads = [threading.Thread(target=guess) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses.count(401) == AUTH_FAILURE_LIMIT
    assert statuses.count(429) == 30 - AUTH_FAILURE_LIMIT


def test_successful_pairings_do_not_use_up_the_budget(client):
    for _ in range(AUTH_FAILURE_LIMIT + 2):
        _, code = PairingCredential.objects.issue()
        assert post(client, "/api/auth/pair", {"token": code}).status_code == 200


@pytest.mark.parametrize("ttl", ["8d", "99999999d", "soon"])
def test_a_link_ttl_beyond_a_week_or_malformed_is_a_400(client, owner_device, ttl):
    response = post(client, "/api/auth/pairing-links", {"ttl": ttl}, **owner_device.auth)
    assert response.status_code == 400 and error_code(response) == "bad_request"


def test_a_trusted_https_proxy_gets_a_secure_cookie_and_https_links(client, settings, owner_device):
    import ipaddress

    settings.T3SITE_TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"),)
    _, code = PairingCredential.objects.issue()
    response = post(client, "/api/auth/pair", {"token": code, "mode": "cookie"}, HTTP_X_FORWARDED_PROTO="https")
    assert response.cookies["t3site_session"]["secure"]
    proxied = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "box.tailnet.example"}
    link = post(client, "/api/auth/pairing-links", {}, **proxied, **owner_device.auth).json()
    # Over https a link is hosted-style, as every pairing URL is (pairing.links): any hosted page can use it.
    assert link["pairingUrl"].startswith(
        "https://box.tailnet.example/pair?host=https%3A%2F%2Fbox.tailnet.example#token="
    )


def test_anyone_elses_forwarded_proto_is_ignored(client, owner_device):
    headers = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_T3SITE_PROXIED_PROTO": "https"}
    link = post(client, "/api/auth/pairing-links", {}, **headers, **owner_device.auth).json()
    assert link["pairingUrl"].startswith("http://testserver/")


def test_an_unknown_api_route_is_a_json_404(client):
    response = client.get("/api/nothing/here")
    assert response.status_code == 404 and error_code(response) == "not_found"


def test_a_body_over_the_upload_limit_is_a_json_413_a_hosted_page_can_read(client, settings):
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(
        "/api/auth/pair", too_big, content_type="application/json", HTTP_ORIGIN="https://hosted.example"
    )
    assert response.status_code == 413 and error_code(response) == "too_large"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_request_django_refuses_under_api_is_a_json_400_and_a_page_keeps_djangos(client):
    response = client.get("/api/auth/session", HTTP_HOST="not a host!")
    assert response.status_code == 400 and error_code(response) == "bad_request"
    assert client.get("/pair", HTTP_HOST="not a host!")["Content-Type"].startswith("text/html")


def test_a_link_is_made_for_the_endpoint_the_device_will_use(client, owner_device):
    https = post(client, "/api/auth/pairing-links", {"baseUrl": "https://box.tail1234.ts.net"}, **owner_device.auth)
    lan = post(client, "/api/auth/pairing-links", {"baseUrl": "http://192.168.1.20:3773/"}, **owner_device.auth)
    hosted = "https://box.tail1234.ts.net/pair?host=https%3A%2F%2Fbox.tail1234.ts.net#token="
    assert https.json()["pairingUrl"] == hosted + https.json()["token"]
    assert lan.json()["pairingUrl"] == f"http://192.168.1.20:3773/pair#token={lan.json()['token']}"


@pytest.mark.parametrize("base_url", ["ftp://box", "http://user@box", "http://box/?x=1", "box:3773", 5])
def test_a_link_for_an_address_that_is_not_an_http_url_is_a_400(client, owner_device, base_url):
    response = post(client, "/api/auth/pairing-links", {"baseUrl": base_url}, **owner_device.auth)
    assert response.status_code == 400 and error_code(response) == "bad_request"
    assert not PairingCredential.objects.exists()

"""/api/environments through Django's test client: list, save by environmentId, rename, remove, scopes.

Who may change where an environment is reached: browsers send it their bearer token (C1).
"""

from __future__ import annotations

import json

import pytest

from environments import credentials
from environments.backend_pairing import pair
from environments.models import Environment
from tests.support.http import request

pytestmark = pytest.mark.django_db

PHONE_BACKEND = {
    "environmentId": "6f1c2d7e-0000-4000-8000-000000000001",
    "label": "Workstation",
    "httpBaseUrl": "http://192.168.1.20:3773",
    "wsBaseUrl": "ws://192.168.1.20:3773",
    "kind": "direct",
}
CONTRACT_KEYS = {"id", "environmentId", "label", "httpBaseUrl", "wsBaseUrl", "kind", "createdAt", "lastConnectedAt"}


def send(client, method, path, body=None, **headers):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(path, data, content_type="application/json", **headers)


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_it_saves_a_paired_backend_and_lists_it_in_the_contract_shape(client, client_device):
    created = send(client, "post", "/api/environments", PHONE_BACKEND, **client_device.auth)
    assert created.status_code == 201
    listed = send(client, "get", "/api/environments", **client_device.auth).json()["environments"]
    assert [set(row) for row in listed] == [CONTRACT_KEYS]
    assert listed[0] == created.json()
    assert listed[0]["environmentId"] == PHONE_BACKEND["environmentId"]
    assert listed[0]["lastConnectedAt"] is not None
    assert created["Cache-Control"] == "no-store"


def test_pairing_the_same_backend_again_updates_its_entry(client, owner_device):
    first = send(client, "post", "/api/environments", PHONE_BACKEND, **owner_device.auth).json()
    moved = {**PHONE_BACKEND, "httpBaseUrl": "http://100.101.102.103:3773", "wsBaseUrl": "ws://100.101.102.103:3773"}
    again = send(client, "post", "/api/environments", moved, **owner_device.auth)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["httpBaseUrl"] == "http://100.101.102.103:3773"
    assert Environment.objects.count() == 1


def test_it_normalizes_the_address_and_derives_the_websocket_base(client, owner_device):
    body = {"environmentId": "e1", "label": "v6", "httpBaseUrl": "HTTP://[0:0::1]:3773/"}
    saved = send(client, "post", "/api/environments", body, **owner_device.auth).json()
    assert saved["httpBaseUrl"] == "http://[::1]:3773" and saved["wsBaseUrl"] == "ws://[::1]:3773"


@pytest.mark.parametrize(
    "change",
    [
        {"httpBaseUrl": "http://user@evil.example"},
        {"httpBaseUrl": "http://192.168.1.20:3773/pair"},
        {"httpBaseUrl": "file:///etc/passwd"},
        {"wsBaseUrl": "ws://elsewhere.example"},
        {"environmentId": ""},
        {"environmentId": "x" * 65},
        {"kind": "carrier-pigeon"},
        {"kind": "ssh"},
        {"label": 7},
        {"sessionToken": "t3s_" + "a" * 43},
    ],
)
def test_it_refuses_a_bad_environment_without_saving_it(client, owner_device, change):
    response = send(client, "post", "/api/environments", {**PHONE_BACKEND, **change}, **owner_device.auth)
    assert response.status_code == 400 and error_code(response) == "bad_request"
    assert not Environment.objects.exists()


def test_it_saves_an_ssh_environment_with_its_ssh_target(client, owner_device):
    body = {**PHONE_BACKEND, "kind": "ssh", "ssh": {"host": "devbox", "port": 2222, "user": "me"}}
    saved = send(client, "post", "/api/environments", body, **owner_device.auth).json()
    assert saved["ssh"] == {"host": "devbox", "port": 2222, "user": "me"}


def test_it_renames_and_removes_by_id_or_environment_id(client, owner_device):
    saved = send(client, "post", "/api/environments", PHONE_BACKEND, **owner_device.auth).json()
    renamed = send(client, "patch", f"/api/environments/{saved['id']}", {"label": "Desk"}, **owner_device.auth)
    assert renamed.status_code == 200 and renamed.json()["label"] == "Desk"
    removed = send(client, "delete", f"/api/environments/{PHONE_BACKEND['environmentId']}", **owner_device.auth)
    assert removed.json() == {"id": saved["id"], "environmentId": PHONE_BACKEND["environmentId"], "removed": True}
    assert send(client, "get", f"/api/environments/{saved['id']}", **owner_device.auth).status_code == 404


def test_renaming_needs_a_label(client, owner_device):
    saved = send(client, "post", "/api/environments", PHONE_BACKEND, **owner_device.auth).json()
    response = send(client, "patch", f"/api/environments/{saved['id']}", {"label": "  "}, **owner_device.auth)
    assert response.status_code == 400


def test_an_unknown_environment_is_not_found(client, owner_device):
    response = send(client, "delete", "/api/environments/nope", **owner_device.auth)
    assert response.status_code == 404 and error_code(response) == "not_found"


def test_removing_an_environment_drops_the_credential_this_server_kept_for_it(client, owner_device):
    Environment.objects.save_paired(
        environment_id="cli-env",
        label="cli",
        http_base_url="http://127.0.0.1:9",
        ws_base_url="ws://127.0.0.1:9",
        session_token="t3s_" + "b" * 43,
    )
    assert credentials.get("cli-env") is not None
    send(client, "delete", "/api/environments/cli-env", **owner_device.auth)
    assert credentials.get("cli-env") is None


def test_a_read_only_device_can_list_but_not_change(client, read_only_device, owner_device):
    send(client, "post", "/api/environments", PHONE_BACKEND, **owner_device.auth)
    assert send(client, "get", "/api/environments", **read_only_device.auth).status_code == 200
    for method, path, body in [
        ("post", "/api/environments", PHONE_BACKEND),
        ("patch", f"/api/environments/{PHONE_BACKEND['environmentId']}", {"label": "x"}),
        ("delete", f"/api/environments/{PHONE_BACKEND['environmentId']}", None),
    ]:
        response = send(client, method, path, body, **read_only_device.auth)
        assert response.status_code == 403 and error_code(response) == "insufficient_scope"
    assert Environment.objects.get().label == "Workstation"


def test_it_needs_a_live_session(client, revoked_device):
    assert error_code(send(client, "get", "/api/environments")) == "unauthenticated"
    assert error_code(send(client, "get", "/api/environments", **revoked_device.auth)) == "expired_token"


def test_bearer_calls_work_from_any_origin_and_cookie_calls_only_from_this_one(client, owner_device):
    from_app = send(client, "get", "/api/environments", HTTP_ORIGIN="https://hosted.example", **owner_device.auth)
    assert from_app.status_code == 200 and from_app["Access-Control-Allow-Origin"] == "*"
    client.cookies["t3site_session"] = owner_device.token
    assert send(client, "get", "/api/environments", HTTP_ORIGIN="http://testserver").status_code == 200
    refused = send(client, "post", "/api/environments", PHONE_BACKEND, HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403 and error_code(refused) == "forbidden_origin"


def test_the_preflight_allows_patch_and_delete(client):
    response = client.options("/api/environments/x", HTTP_ORIGIN="https://hosted.example")
    assert response.status_code == 204
    assert "PATCH" in response["Access-Control-Allow-Methods"] and "DELETE" in response["Access-Control-Allow-Methods"]


def test_the_pages_send_no_referrer_and_are_not_cached(client):
    for path in ("/pair", "/environments"):
        response = client.get(path)
        assert response["Referrer-Policy"] == "no-referrer" and response["Cache-Control"] == "no-store"
        assert b'src="http' not in response.content and b'href="http' not in response.content  # no third-party asset


ATTACKER = {"httpBaseUrl": "http://203.0.113.66:3773", "wsBaseUrl": "ws://203.0.113.66:3773"}


def test_a_client_session_cannot_repoint_an_environment_the_owner_saved(client, owner_device, client_device):
    send(client, "post", "/api/environments", PHONE_BACKEND, **owner_device.auth)
    for change in (ATTACKER, {"kind": "ssh", "ssh": {"host": "devbox"}}):
        refused = send(client, "post", "/api/environments", {**PHONE_BACKEND, **change}, **client_device.auth)
        assert refused.status_code == 403 and error_code(refused) == "insufficient_scope"
        assert "only a session with the 'admin' scope may change where" in refused.json()["error"]["message"]
    saved = Environment.objects.get()
    assert saved.http_base_url == PHONE_BACKEND["httpBaseUrl"] and saved.kind == "direct"


def test_a_client_session_may_add_a_direct_environment_and_rename_one(client, owner_device, client_device):
    send(client, "post", "/api/environments", PHONE_BACKEND, **owner_device.auth)
    renamed = send(client, "post", "/api/environments", {**PHONE_BACKEND, "label": "Desk"}, **client_device.auth)
    assert renamed.status_code == 200 and renamed.json()["label"] == "Desk"
    other = {**PHONE_BACKEND, **ATTACKER, "environmentId": "another-backend"}
    assert send(client, "post", "/api/environments", other, **client_device.auth).status_code == 201


def test_a_client_session_cannot_save_an_ssh_environment(client, client_device):
    body = {**PHONE_BACKEND, "kind": "ssh", "ssh": {"host": "devbox", "port": 2222, "user": "me"}}
    refused = send(client, "post", "/api/environments", body, **client_device.auth)
    assert refused.status_code == 403 and error_code(refused) == "insufficient_scope"
    assert "saving an SSH environment needs the 'admin' scope" in refused.json()["error"]["message"]
    assert not Environment.objects.exists()


def test_an_owner_session_can_repoint_an_environment(client, owner_device, client_device):
    send(client, "post", "/api/environments", PHONE_BACKEND, **client_device.auth)
    moved = send(client, "post", "/api/environments", {**PHONE_BACKEND, **ATTACKER}, **owner_device.auth)
    assert moved.status_code == 200 and moved.json()["httpBaseUrl"] == ATTACKER["httpBaseUrl"]


def test_saving_again_without_a_label_keeps_the_label(client, owner_device):
    send(client, "post", "/api/environments", PHONE_BACKEND, **owner_device.auth)
    unlabeled = {key: value for key, value in PHONE_BACKEND.items() if key != "label"}
    assert send(client, "post", "/api/environments", unlabeled, **owner_device.auth).json()["label"] == "Workstation"
    new = send(client, "post", "/api/environments", {**unlabeled, "environmentId": "e2"}, **owner_device.auth)
    assert new.json()["label"] == "e2"


def test_a_client_session_cannot_remove_an_ssh_environment(client, client_device):
    Environment.objects.save_paired(
        environment_id="over-ssh",
        label="devbox",
        http_base_url="http://127.0.0.1:9",
        ws_base_url="ws://127.0.0.1:9",
        kind="ssh",
        ssh={"host": "devbox", "port": 22, "user": "me"},
    )
    refused = send(client, "delete", "/api/environments/over-ssh", **client_device.auth)
    assert refused.status_code == 403 and error_code(refused) == "insufficient_scope"
    assert Environment.objects.filter(environment_id="over-ssh").exists()


def test_removing_a_direct_environment_logs_out_the_session_this_server_held(client, owner_device, backend):
    token = pair(backend.base_url, backend.token, device_label="this server").session_token
    Environment.objects.save_paired(
        environment_id="cli-env",
        label="cli",
        http_base_url=backend.base_url,
        ws_base_url=backend.base_url.replace("http", "ws", 1),
        session_token=token,
    )
    removed = send(client, "delete", "/api/environments/cli-env", **owner_device.auth)
    assert removed.status_code == 200 and "message" not in removed.json()
    session = request("GET", f"{backend.base_url}/api/auth/session", headers={"Authorization": f"Bearer {token}"})
    assert session.json["authenticated"] is False


def test_removing_a_direct_environment_whose_backend_is_down_says_so(client, owner_device, unused_port):
    Environment.objects.save_paired(
        environment_id="cli-env",
        label="cli",
        http_base_url=f"http://127.0.0.1:{unused_port}",
        ws_base_url=f"ws://127.0.0.1:{unused_port}",
        session_token="t3s_" + "c" * 43,
    )
    removed = send(client, "delete", "/api/environments/cli-env", **owner_device.auth).json()
    assert removed["removed"] is True and "could not be logged out" in removed["message"]
    assert credentials.get("cli-env") is None


def test_pairing_an_ssh_environment_again_through_its_forward_keeps_its_kind_forward_and_label(client, owner_device):
    Environment.objects.save_paired(
        environment_id="over-ssh",
        label="Build box",
        http_base_url="http://127.0.0.1:41000",
        ws_base_url="ws://127.0.0.1:41000",
        kind="ssh",
        ssh={"host": "devbox", "port": 22, "user": "me"},
    )
    # What a browser sends after pairing through the forward by hand: direct, named for the address.
    body = {
        "environmentId": "over-ssh",
        "label": "devbox · 127.0.0.1:41000",
        "httpBaseUrl": "http://127.0.0.1:41000",
        "kind": "direct",
    }
    for _ in range(2):
        saved = send(client, "post", "/api/environments", body, **owner_device.auth)
        assert saved.status_code == 200
        assert saved.json()["kind"] == "ssh" and saved.json()["ssh"] == {"host": "devbox", "port": 22, "user": "me"}
        assert saved.json()["httpBaseUrl"] == "http://127.0.0.1:41000" and saved.json()["label"] == "Build box"
    renamed = send(client, "post", "/api/environments", {**body, "label": "Desk"}, **owner_device.auth)
    assert renamed.json()["label"] == "Desk" and renamed.json()["kind"] == "ssh"


def test_a_client_session_pairing_through_an_ssh_forward_is_not_refused_and_changes_nothing(client, client_device):
    Environment.objects.save_paired(
        environment_id="over-ssh",
        label="Build box",
        http_base_url="http://127.0.0.1:41000",
        ws_base_url="ws://127.0.0.1:41000",
        kind="ssh",
        ssh={"host": "devbox", "port": 22, "user": "me"},
    )
    body = {"environmentId": "over-ssh", "label": "x · 127.0.0.1:41000", "httpBaseUrl": "http://127.0.0.1:41000"}
    assert send(client, "post", "/api/environments", body, **client_device.auth).status_code == 200
    saved = Environment.objects.get()
    assert (saved.kind, saved.ssh_host, saved.label) == ("ssh", "devbox", "Build box")

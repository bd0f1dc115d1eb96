"""The relay's HTTP side (docs/contract.md §8): the backend's descriptor through this server, and the listing's mark."""

from __future__ import annotations

import logging

import pytest

from tests.support.http import request

pytestmark = pytest.mark.django_db


def test_the_backends_descriptor_is_served_through_this_server(client, client_device, relayed, backend):
    response = client.get(f"/via/{relayed.environment.environment_id}/.well-known/t3/environment", **client_device.auth)
    assert response.status_code == 200
    assert response.json() == request("GET", f"{backend.base_url}/.well-known/t3/environment").json


def test_the_relayed_descriptor_needs_a_session_here(client, relayed):
    response = client.get(f"/via/{relayed.environment.environment_id}/.well-known/t3/environment")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_the_descriptor_of_an_environment_this_server_cannot_relay_is_404(client, client_device, browser_only):
    for key in ("browser-only", "never-saved"):
        response = client.get(f"/via/{key}/.well-known/t3/environment", **client_device.auth)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_the_listing_marks_only_the_environments_this_server_holds_a_credential_for(
    client, client_device, relayed, browser_only
):
    listed = {
        row["environmentId"]: row
        for row in client.get("/api/environments", **client_device.auth).json()["environments"]
    }
    held = relayed.environment.environment_id
    assert listed[held]["relay"] == f"/via/{held}/ws"
    assert "relay" not in listed["browser-only"]


def _relayed_session(client, device, environment_id: str):
    return client.get(f"/via/{environment_id}/api/auth/session", **device.auth)


def test_the_relayed_session_is_the_devices_own_with_the_scopes_the_credential_also_has(
    client, owner_device, read_only_device, relayed
):
    key = relayed.environment.environment_id
    held = set(relayed.credential.scopes)
    assert held == {"read", "write", "terminal"}
    owner = _relayed_session(client, owner_device, key)
    assert owner.status_code == 200
    body = owner.json()
    assert body["authenticated"] is True and body["relayed"] is True and body["environmentId"] == key
    assert body["sessionId"] == owner_device.session.id and body["role"] == "owner"
    # The owner's admin scope here is not the backend's to give: the credential is a client's.
    assert "admin" in owner_device.session.scopes
    assert body["scopes"] == [scope for scope in owner_device.session.scopes if scope in held]
    assert _relayed_session(client, read_only_device, key).json()["scopes"] == ["read"]


def test_the_relayed_session_needs_a_session_here(client, relayed):
    response = client.get(f"/via/{relayed.environment.environment_id}/api/auth/session")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_the_relayed_session_of_an_environment_this_server_cannot_relay_is_404(client, client_device, browser_only):
    for key in ("browser-only", "never-saved"):
        response = _relayed_session(client, client_device, key)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_the_relayed_session_of_an_unreachable_backend_is_502_and_says_why(client, client_device, gone, caplog):
    with caplog.at_level(logging.INFO):
        response = _relayed_session(client, client_device, "gone")
    assert response.status_code == 502
    problem = response.json()["error"]
    assert problem["code"] == "backend_unreachable" and "Connection refused" in problem["message"], problem
    # An expected state (a forward still opening is asked every 2 s), said once at INFO, not an ERROR.
    loggers = ("django.request", "t3site.relay")
    said = [(record.name, record.levelname) for record in caplog.records if record.name in loggers]
    assert said == [("t3site.relay", "INFO")], said


def test_the_relayed_session_says_when_the_backend_refuses_the_saved_credential(
    client, client_device, relayed, backend
):
    revoked = backend.api("DELETE", f"/api/auth/sessions/{relayed.credential.session_id}")
    assert revoked.json["revoked"] is True
    response = _relayed_session(client, client_device, relayed.environment.environment_id)
    assert response.status_code == 502
    assert response.json()["error"] == {
        "code": "backend_unreachable",
        "message": "the backend refused the saved credential",
    }

"""The relay's HTTP side (docs/contract.md §8): the backend's descriptor through this server, and the listing's mark."""

from __future__ import annotations

import pytest

from environments.models import Environment
from tests.support.http import request

pytestmark = pytest.mark.django_db


def test_the_backends_descriptor_is_served_through_this_server(client, client_device, relayed, backend):
    response = client.get(f"/via/{relayed.environment.environment_id}/.well-known/t3/environment", **client_device.auth)
    assert response.status_code == 200
    assert response.json() == request("GET", f"{backend.base_url}/.well-known/t3/environment").json


def test_the_relayed_descriptor_needs_a_session_here(client, relayed):
    response = client.get(f"/via/{relayed.environment.environment_id}/.well-known/t3/environment")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_the_descriptor_of_an_environment_this_server_cannot_relay_is_404(client, client_device):
    Environment.objects.save_paired(
        environment_id="browser-only", http_base_url="http://127.0.0.1:9", ws_base_url="ws://127.0.0.1:9"
    )
    for key in ("browser-only", "never-saved"):
        response = client.get(f"/via/{key}/.well-known/t3/environment", **client_device.auth)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_the_listing_marks_only_the_environments_this_server_holds_a_credential_for(client, client_device, relayed):
    Environment.objects.save_paired(
        environment_id="browser-only", http_base_url="http://127.0.0.1:9", ws_base_url="ws://127.0.0.1:9"
    )
    listed = {
        row["environmentId"]: row
        for row in client.get("/api/environments", **client_device.auth).json()["environments"]
    }
    held = relayed.environment.environment_id
    assert listed[held]["relay"] == f"/via/{held}/ws"
    assert "relay" not in listed["browser-only"]

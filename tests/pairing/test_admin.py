"""The Django admin: an owner-paired browser gets in without a password; nobody else does."""

from __future__ import annotations

import json

import pytest

from pairing.auth import SESSION_COOKIE
from pairing.models import DeviceSession, PairingCredential

pytestmark = pytest.mark.django_db


def paired_browser(client, role="owner", scopes=None):
    """Pair the test client in cookie mode, as a browser does, and return its session."""
    _, code = PairingCredential.objects.issue(role=role, scopes=scopes)
    response = client.post(
        "/api/auth/pair", json.dumps({"token": code, "mode": "cookie"}), content_type="application/json"
    )
    return DeviceSession.objects.get(pk=response.json()["sessionId"])


def test_an_owner_paired_browser_reaches_the_admin_without_a_password(client):
    paired_browser(client)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert b"Pairing links and device sessions" in response.content


def test_a_client_role_session_does_not(client):
    paired_browser(client, role="client")
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert b"no admin password" in response.content


def test_an_unpaired_browser_sees_how_to_pair_instead_of_a_password_form(client):
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert b"password" not in response.content.replace(b"no admin password", b"")


def test_a_revoked_session_loses_admin_access_on_its_next_request(client):
    session = paired_browser(client)
    assert client.get("/admin/").status_code == 200
    session.revoke("test")
    assert client.get("/admin/", follow=True).status_code == 403


def test_the_lists_show_devices_but_never_a_token_or_digest(client, client_device):
    session = paired_browser(client)
    _, code = PairingCredential.objects.issue(label="spare link")
    sessions_page = client.get("/admin/pairing/devicesession/").content.decode()
    links_page = client.get("/admin/pairing/pairingcredential/").content.decode()
    assert "client phone" in sessions_page and "spare link" in links_page
    cookie = client.cookies[SESSION_COOKIE].value
    for page in (sessions_page, links_page):
        assert cookie not in page and client_device.token not in page and code not in page
        assert session.digest not in page and client_device.session.digest not in page
    detail = client.get(f"/admin/pairing/devicesession/{client_device.session.pk}/change/").content.decode()
    assert client_device.session.digest not in detail


def test_revoke_selected_revokes_sessions_and_links(client, client_device, read_only_device):
    paired_browser(client)
    link, _ = PairingCredential.objects.issue()
    response = client.post(
        "/admin/pairing/devicesession/",
        {"action": "revoke_selected", "_selected_action": [client_device.session.pk, read_only_device.session.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert DeviceSession.objects.get(pk=client_device.session.pk).state == "revoked"
    assert DeviceSession.objects.get(pk=read_only_device.session.pk).state == "revoked"
    client.post("/admin/pairing/pairingcredential/", {"action": "revoke_selected", "_selected_action": [link.pk]})
    link.refresh_from_db()
    assert link.state == "revoked"

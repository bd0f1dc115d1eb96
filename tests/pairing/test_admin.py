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


def revoke_in_admin(client, model: str, *pks, confirmed: bool = True):
    form = {"action": "revoke_selected", "_selected_action": list(pks)}
    return client.post(f"/admin/pairing/{model}/", form | ({"confirmed": "yes"} if confirmed else {}), follow=True)


def test_revoke_selected_asks_first_then_revokes_sessions_and_links(client, client_device, read_only_device):
    paired_browser(client)
    link, _ = PairingCredential.objects.issue()
    asked = revoke_in_admin(client, "devicesession", client_device.session.pk, confirmed=False).content.decode()
    assert "Revoke these device sessions?" in asked and "client phone" in asked
    assert DeviceSession.objects.get(pk=client_device.session.pk).state == "active"

    response = revoke_in_admin(client, "devicesession", client_device.session.pk, read_only_device.session.pk)
    assert response.status_code == 200 and b"Revoked 2 device session(s)" in response.content
    assert DeviceSession.objects.get(pk=client_device.session.pk).state == "revoked"
    assert DeviceSession.objects.get(pk=read_only_device.session.pk).state == "revoked"
    revoke_in_admin(client, "pairingcredential", link.pk)
    link.refresh_from_db()
    assert link.state == "revoked"


def test_the_confirmation_warns_when_this_device_is_selected(client):
    session = paired_browser(client)
    asked = revoke_in_admin(client, "devicesession", session.pk, confirmed=False).content.decode()
    assert "this browser will be logged out" in asked


def test_djangos_users_and_groups_are_not_in_the_admin(client):
    paired_browser(client)
    index = client.get("/admin/").content.decode()
    assert "Device sessions" in index and "Connection settings" in index
    assert "/admin/auth/" not in index and "Users" not in index and "Groups" not in index
    assert client.get("/admin/auth/user/").status_code == 404
    assert client.get("/admin/auth/group/").status_code == 404


def test_the_device_list_marks_this_device_and_shows_the_link_it_came_from(client, client_device):
    session = paired_browser(client)
    session.rename("Desk browser")
    _, code = PairingCredential.objects.issue(label="ipad")
    PairingCredential.objects.claim(code)
    page = client.get("/admin/pairing/devicesession/").content.decode()
    assert 'Desk browser <strong class="this-device">(this device)</strong>' in page
    assert page.count("(this device)") == 1
    assert '<td class="field-paired_with">ipad</td>' in page


def test_revoked_rows_are_out_of_the_default_view(client, client_device, revoked_device):
    paired_browser(client)
    expired, _ = DeviceSession.objects.issue(label="old laptop", idle_ttl_seconds=60)
    DeviceSession.objects.filter(pk=expired.pk).update(expires_at=expired.created_at)

    def listed(query: str = "") -> set[str]:
        page = client.get(f"/admin/pairing/devicesession/{query}").content.decode()
        return {label for label in ("client phone", "lost phone", "old laptop") if label in page}

    assert listed() == {"client phone", "old laptop"}
    assert listed("?state=revoked") == {"lost phone"}
    assert listed("?state=expired") == {"old laptop"}
    assert listed("?state=active") == {"client phone"}
    assert listed("?state=all") == {"client phone", "lost phone", "old laptop"}
    filters = client.get("/admin/pairing/devicesession/").content.decode()
    assert "not revoked" in filters and "all, revoked too" in filters


def test_the_admin_renames_a_device_and_changes_nothing_else(client, client_device):
    paired_browser(client)
    url = f"/admin/pairing/devicesession/{client_device.session.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="label"' in form and 'name="role"' not in form and 'name="scopes"' not in form
    client_device.session.revoke("lost")  # after the form was opened
    response = client.post(url, {"label": "  Old phone ", "role": "owner"}, follow=True)
    assert response.status_code == 200
    saved = DeviceSession.objects.get(pk=client_device.session.pk)
    assert (saved.label, saved.role, saved.state) == ("Old phone", "client", "revoked")
    refused = client.post(url, {"label": "   "})
    assert refused.status_code == 200 and b"cannot be empty" in refused.content
    assert DeviceSession.objects.get(pk=client_device.session.pk).label == "Old phone"


def test_a_pairing_link_cannot_be_edited(client):
    paired_browser(client)
    link, _ = PairingCredential.objects.issue(label="ipad")
    form = client.get(f"/admin/pairing/pairingcredential/{link.pk}/change/").content.decode()
    assert 'name="label"' not in form


def test_the_csrf_cookie_is_secure_over_https_and_still_works_over_plain_http(client, settings):
    import ipaddress

    paired_browser(client)
    over_http = client.get("/admin/pairing/devicesession/")
    assert over_http.cookies["csrftoken"]["secure"] == ""  # a LAN or loopback browser keeps it
    client.cookies.pop("csrftoken")
    settings.T3SITE_TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"),)
    over_https = client.get("/admin/pairing/devicesession/", HTTP_X_FORWARDED_PROTO="https")
    assert over_https.cookies["csrftoken"]["secure"] is True

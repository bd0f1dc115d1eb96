"""Connection settings in the admin: shown to the owner, changed only where the listener moves too."""

from __future__ import annotations

import pytest

from endpoints.models import LOCAL_ONLY, NETWORK_ACCESSIBLE, ConnectionSettings

pytestmark = pytest.mark.django_db

LIST = "/admin/endpoints/connectionsettings/"


def test_the_admin_shows_the_default_endpoint_and_network_access(client, owner_device):
    ConnectionSettings.objects.choose_default("core:lan:http")
    ConnectionSettings.objects.choose_network_access(NETWORK_ACCESSIBLE)
    page = client.get(LIST, **owner_device.auth).content.decode()
    assert "core:lan:http" in page and NETWORK_ACCESSIBLE in page
    assert 'href="/settings/connections/"' in page and "Read-only here" in page


def test_a_fresh_server_shows_its_defaults(client, owner_device):
    page = client.get(LIST, **owner_device.auth).content.decode()
    assert "automatic (LAN, else another non-loopback address)" in page and LOCAL_ONLY in page


def test_nothing_there_changes_the_network_access(client, owner_device):
    row = ConnectionSettings.objects.current()
    change = f"{LIST}{row.pk}/change/"
    assert 'name="network_access"' not in client.get(change, **owner_device.auth).content.decode()
    client.post(change, {"network_access": NETWORK_ACCESSIBLE}, **owner_device.auth)
    assert ConnectionSettings.objects.current().network_access == LOCAL_ONLY
    assert client.get(f"{LIST}add/", **owner_device.auth).status_code == 403


def test_a_client_device_does_not_see_them(client, client_device):
    assert client.get(LIST, follow=True, **client_device.auth).status_code == 403

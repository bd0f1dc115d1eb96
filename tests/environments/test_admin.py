"""The admin's "Remove" action cleans up as `environments remove` and the API do (Environment.remove)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory

from environments import credentials
from environments.admin import EnvironmentAdmin
from environments.backend_pairing import pair
from environments.models import Environment
from tests.support.http import request

pytestmark = pytest.mark.django_db


def remove_in_admin(queryset) -> list[str]:
    """Run the admin action on ``queryset``; return the messages it left."""
    http_request = RequestFactory().post("/admin/environments/environment/")
    http_request._messages = CookieStorage(http_request)
    EnvironmentAdmin(Environment, admin.site).remove_selected(http_request, queryset)
    return [str(message) for message in http_request._messages]


def test_removing_in_the_admin_logs_out_the_session_this_server_held(backend):
    token = pair(backend.base_url, backend.token, device_label="this server").session_token
    Environment.objects.save_paired(
        environment_id="cli-env",
        label="Build box",
        http_base_url=backend.base_url,
        ws_base_url=backend.base_url.replace("http", "ws", 1),
        session_token=token,
    )
    assert remove_in_admin(Environment.objects.all()) == ["Removed 1 environment(s)."]
    assert not Environment.objects.exists() and credentials.get("cli-env") is None
    session = request("GET", f"{backend.base_url}/api/auth/session", headers={"Authorization": f"Bearer {token}"})
    assert session.json["authenticated"] is False


def test_the_admin_says_when_a_session_could_not_be_logged_out(unused_port):
    Environment.objects.save_paired(
        environment_id="cli-env",
        label="Build box",
        http_base_url=f"http://127.0.0.1:{unused_port}",
        ws_base_url=f"ws://127.0.0.1:{unused_port}",
        session_token="t3s_" + "d" * 43,
    )
    [warning, done] = remove_in_admin(Environment.objects.all())
    assert warning.startswith("Build box: Its session could not be logged out") and done.startswith("Removed 1")

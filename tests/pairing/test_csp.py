"""The Content-Security-Policy and Referrer-Policy of every response (t3site/csp.py), as the server sends them."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import quote

import pytest

from environments.models import Environment
from t3site import importmap

pytestmark = pytest.mark.django_db

BACKEND = "http://192.0.2.5:3773"
BACKEND_SOURCES = ["http://192.0.2.5:3773", "ws://192.0.2.5:3773"]
# The pages (templates/base.html) carry the one inline script, the import map, allowed by its hash.
PAGES = {"/", "/pair", "/environments", "/settings/connections/"}


def policy(response) -> dict[str, list[str]]:
    """Return the response's policy as {directive: [sources]}."""
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return {name: sources for name, *sources in directives}


def connect_src(response) -> list[str]:
    return policy(response)["connect-src"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/pair",
        "/environments",
        "/settings/connections/",
        "/api/auth/session",
        "/.well-known/t3/environment",
        "/static/js/workspace/app-page.js",
        "/no/such/page",
        "/api/no/such/route",
    ],
)
def test_every_response_carries_the_strict_policy_and_no_referrer(client, path):
    response = client.get(path)
    found = policy(response)
    assert found["default-src"] == ["'self'"]
    allowed_map = [importmap.script_source()] if path in PAGES else []
    assert found["script-src"] == ["'self'", *allowed_map], "no eval, no inline script but the import map"
    assert found["style-src"] == ["'self'"], "no style attribute"
    assert found["img-src"] == ["'self'", "blob:"]
    assert found["object-src"] == ["'none'"] and found["base-uri"] == ["'none'"]
    assert found["form-action"] == ["'self'"] and found["frame-ancestors"] == ["'none'"]
    assert found["connect-src"] == ["'self'", "ws://testserver"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_admin_has_the_same_policy_and_a_same_origin_referrer_so_its_forms_keep_their_origin(client, owner_device):
    # Under no-referrer a browser sends "Origin: null" with a form's POST, which the CSRF check refuses.
    for path in ("/admin/", "/admin/pairing/devicesession/"):
        response = client.get(path, **owner_device.auth)
        assert response.status_code == 200
        assert response["Referrer-Policy"] == "same-origin"
        found = policy(response)
        assert found["script-src"] == ["'self'"] and found["style-src"] == ["'self'"]
        assert found["connect-src"] == ["'self'", "ws://testserver"] and "style-src-elem" not in found


def test_a_page_served_over_https_reaches_its_own_socket_over_wss(client, settings):
    import ipaddress

    settings.T3SITE_TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"),)
    response = client.get("/", HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="box.tailnet.example")
    assert connect_src(response) == ["'self'", "wss://box.tailnet.example"]


@pytest.mark.parametrize(
    ("host", "sources"),
    [
        (BACKEND, BACKEND_SOURCES),
        ("192.0.2.5:3773", BACKEND_SOURCES),
        ("HTTP://Box.Example:443/", ["http://box.example:443", "ws://box.example:443"]),
        ("https://box.example:443", ["https://box.example", "wss://box.example"]),
        ("http://[::1]:3773", ["http://[::1]:3773", "ws://[::1]:3773"]),
    ],
)
def test_the_pair_page_may_reach_the_backend_its_address_names(client, host, sources):
    response = client.get(f"/pair?host={quote(host, safe='')}")
    assert connect_src(response) == ["'self'", "ws://testserver", *sources]


@pytest.mark.parametrize(
    "host",
    [
        "http://a.example; script-src *",
        "http://a.example 'unsafe-eval'",
        "*",
        "http://*.example",
        "javascript:alert(1)",
        "data:text/html,hi",
        "http://good.example@evil.example",
        "http://evil.example/path",
        "http://evil.example?x",
        "http://under_score.example",
        "",
    ],
)
def test_a_crafted_host_adds_nothing_to_the_policy(client, host):
    response = client.get(f"/pair?host={quote(host, safe='')}")
    assert connect_src(response) == ["'self'", "ws://testserver"]
    assert policy(response)["script-src"] == ["'self'", importmap.script_source()]


def test_the_one_inline_script_of_a_page_is_its_import_map_allowed_by_its_hash(client):
    page = client.get("/pair")
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page.content.decode(), re.DOTALL)
    assert inline == [importmap.import_map_text()]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert policy(page)["script-src"] == ["'self'", f"'sha256-{digest}'"]


def test_every_host_the_address_names_is_allowed_on_the_app_and_environments_pages(client):
    other = "https://build.tailnet.example"
    for page in ("/", "/environments"):
        response = client.get(f"{page}?environment=abc&host={quote(BACKEND)}&host={quote(other)}")
        assert connect_src(response)[2:] == [*BACKEND_SOURCES, other, "wss://build.tailnet.example"]


@pytest.mark.parametrize(
    "path", ["/settings/connections/", "/admin/", "/api/auth/session", "/static/js/workspace/app-page.js"]
)
def test_no_other_page_takes_a_host_from_its_address(client, path):
    response = client.get(f"{path}?host={quote(BACKEND)}")
    assert connect_src(response) == ["'self'", "ws://testserver"]


def test_the_environments_page_reaches_the_saved_environments_only_for_a_session_that_may_list_them(
    client, owner_device, client_device
):
    Environment.objects.save_paired(
        environment_id="e1", label="Build box", http_base_url=BACKEND, ws_base_url="ws://192.0.2.5:3773"
    )
    assert connect_src(client.get("/environments")) == ["'self'", "ws://testserver"]
    for device in (owner_device, client_device):
        assert connect_src(client.get("/environments", **device.auth))[2:] == BACKEND_SOURCES
    assert connect_src(client.get("/pair", **owner_device.auth)) == ["'self'", "ws://testserver"]


def test_only_the_app_lets_style_elements_in_for_the_terminal_and_never_style_attributes(client):
    app = policy(client.get("/"))
    assert app["style-src-elem"] == ["'self'", "'unsafe-inline'"]
    assert app["style-src"] == ["'self'"] and "style-src-attr" not in app
    assert "style-src-elem" not in policy(client.get("/environments"))

"""The hot auth routes answered by Channels ahead of Django (pairing.fast) refuse a revoked token at once.

A real daphne server: every route is warmed first, so the session sits in the cache of resolved
sessions (pairing.resolved) when it is revoked.
"""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support.e2e import pair_bearer, rpc
from tests.support.http import request
from tests.support.server import manage


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def warm(server, token: str) -> None:
    """Use every fast route with ``token``, so its session is resolved and cached."""
    for _ in range(3):
        assert request("GET", f"{server.base_url}/api/auth/session", headers=bearer(token)).json["authenticated"]
        assert request("POST", f"{server.base_url}/api/auth/ws-ticket", {}, headers=bearer(token)).status == 200
    with connect(server.ws_url, additional_headers=bearer(token)) as ws:
        assert rpc(ws, "server.probe")["result"]["ok"] is True


def refusals(server, token: str) -> dict[str, object]:
    """Return what each fast route answers ``token`` now."""
    session = request("GET", f"{server.base_url}/api/auth/session", headers=bearer(token))
    ticket = request("POST", f"{server.base_url}/api/auth/ws-ticket", {}, headers=bearer(token))
    try:
        with connect(server.ws_url, additional_headers=bearer(token)) as ws:
            socket = rpc(ws, "server.probe")
    except ConnectionClosed as exc:
        socket = exc.rcvd.code if exc.rcvd else None
    except InvalidStatus as exc:
        socket = exc.response.status_code
    return {"session": session.json["authenticated"], "ws-ticket": ticket.status, "socket": socket}


REFUSED = {"session": False, "ws-ticket": 401, "socket": 4410}


def test_a_token_revoked_in_the_server_is_refused_by_every_fast_path_at_once(server):
    owner = pair_bearer(server, label="owner laptop")
    link = request(
        "POST", f"{server.base_url}/api/auth/pairing-links", {"role": "client"}, headers=bearer(owner["sessionToken"])
    ).json
    phone = pair_bearer(server, link["token"], label="phone")
    warm(server, phone["sessionToken"])

    revoked = request(
        "DELETE", f"{server.base_url}/api/auth/sessions/{phone['sessionId']}", headers=bearer(owner["sessionToken"])
    )

    assert revoked.json["revoked"] is True
    assert refusals(server, phone["sessionToken"]) == REFUSED


def test_a_token_revoked_from_the_cli_is_refused_by_every_fast_path_on_the_next_request(server):
    # Another process commits the revocation: the server's cache of resolved sessions must not
    # answer from what it read before (docs/contract.md §3: the very next request is refused).
    phone = pair_bearer(server, label="phone")
    warm(server, phone["sessionToken"])

    manage(server.home, "auth", "session", "revoke", phone["sessionId"])

    assert refusals(server, phone["sessionToken"]) == REFUSED


def test_a_cached_session_is_answered_again_after_a_write_elsewhere_that_did_not_revoke_it(server):
    # Any commit makes the cache read the row again; a commit that changed nothing of the
    # session must not change the answer.
    phone = pair_bearer(server, label="phone")
    warm(server, phone["sessionToken"])

    manage(server.home, "auth", "pairing", "create", "--label", "tablet")

    assert request("GET", f"{server.base_url}/api/auth/session", headers=bearer(phone["sessionToken"])).json[
        "authenticated"
    ]


@pytest.mark.parametrize("path", ["/api/auth/session", "/api/auth/ws-ticket", "/api/auth/pair"])
def test_a_fast_path_answers_with_the_headers_django_gives_every_api_answer(server, path):
    preflight = request("OPTIONS", server.base_url + path)
    method = "GET" if path == "/api/auth/session" else "POST"
    answered = request(method, server.base_url + path, headers=bearer("t3s_x"))

    assert preflight.status == 204 and preflight.headers["access-control-allow-origin"] == "*"
    assert answered.headers["cache-control"] == "no-store"
    for name in ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"):
        assert name in preflight.headers and name in answered.headers


def test_a_fast_path_answers_a_malformed_host_as_django_does(server):
    answered = request("GET", f"{server.base_url}/api/auth/session", headers={"Host": "bad host!"})

    assert answered.status == 400 and answered.json["error"]["code"] == "bad_request"

"""The authorization matrix: every caller against every route and every socket method, on a real server.

tests/hostile/matrix.py is the table; this module checks the server does exactly what it says,
and that the table names every route and method the server has.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.hostile import matrix
from tests.hostile.callers import ask, refusal_of, registered_methods, socket_for
from tests.support.http import request
from workspace.rpc import INSUFFICIENT_SCOPE

AUTH_REFUSALS = {"unauthenticated", "invalid_token", "expired_token", "insufficient_scope", "forbidden_origin"}
CLOSE_UNAUTHORIZED, CLOSE_SESSION_ENDED = 4401, 4410
UNKNOWN_ID = "no-such-thing"
# Bodies that get past the scope check and then change nothing (a 400 or 404 for the allowed).
HARMLESS_BODIES = {
    ("POST", "/api/auth/pair"): {},
    ("POST", "/api/auth/pairing-links"): {"ttl": "forever"},
    ("PATCH", "/api/auth/sessions/<session_id>"): {"label": "renamed"},
    ("POST", "/api/endpoints/default"): {"preferenceKey": "nowhere"},
    ("POST", "/api/endpoints/tailscale-serve"): {"httpsPort": 0},
    ("POST", "/api/endpoints/network-access"): {"mode": "neither"},
    ("POST", "/api/endpoints/qr"): {"text": ""},
    ("POST", "/api/environments"): {},
    ("POST", "/api/environments/ssh"): {},
    ("PATCH", "/api/environments/<key>"): {"label": "renamed"},
}
# Rows whose allowed answer changes who is signed in: played last, revoke-others before logout.
LAST_ROWS = ("/api/auth/sessions/revoke-others", "/api/auth/logout")


def url_routes() -> set[str]:
    """Return every HTTP route the URLconf has, spelled as in matrix.ROUTES (the admin as /admin/)."""

    def walk(patterns, prefix: str):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route == "admin/":
                    yield "/admin/"
                else:
                    yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", route)

    return set(walk(get_resolver().url_patterns, ""))


def test_the_table_names_every_route_and_every_socket_method():
    assert {route.path for route in matrix.ROUTES} == url_routes()
    assert set(matrix.METHODS) == set(registered_methods())


def filled(path: str) -> str:
    return re.sub(r"<\w+>", UNKNOWN_ID, path)


def check_route(server, caller, route: matrix.Route) -> None:
    reply = request(
        route.method,
        server.base_url + filled(route.path),
        HARMLESS_BODIES.get((route.method, route.path)),
        headers=caller.headers,
    )
    expected = matrix.verdict(caller.name, route.needs)
    where = f"{caller.name} {route.method} {route.path}: {reply.status} {reply.body[:300]!r}"
    if route.kind != "api":
        # An admin refusal redirects to the owner-only page, which answers 403 (urllib follows it).
        wanted = {"allowed": 200, "insufficient_scope": 403}.get(expected, 403 if route.kind == "admin" else 401)
        assert reply.status == wanted, where
        return
    code = reply.json.get("error", {}).get("code") if reply.status >= 400 else None
    if expected == "allowed":
        assert reply.status < 500 and code not in AUTH_REFUSALS, where
    else:
        status, wanted_code = {
            "unauthenticated": (401, "unauthenticated"),
            "ended": (401, "expired_token"),
            "insufficient_scope": (403, "insufficient_scope"),
        }[expected]
        assert (reply.status, code) == (status, wanted_code), where


def check_socket(server, caller) -> None:
    expected = matrix.verdict(caller.name, matrix.SOCKET_NEEDS)
    if expected != "allowed":
        close_code, answered = refusal_of(server, caller)
        wanted = CLOSE_UNAUTHORIZED if expected == "unauthenticated" else CLOSE_SESSION_ENDED
        assert (close_code, answered) == (wanted, []), f"{caller.name} on /ws"
        return
    with socket_for(server, caller) as ws:
        for name in sorted(registered_methods()):
            answer = ask(ws, name, {})
            error = answer.get("error") or {}
            if matrix.verdict(caller.name, (matrix.METHODS[name],)) == "allowed":
                assert error.get("code") != INSUFFICIENT_SCOPE, f"{caller.name} {name}: {answer}"
            else:
                assert error.get("code") == INSUFFICIENT_SCOPE, f"{caller.name} {name}: {answer}"
                assert error["data"] == {"scope": matrix.METHODS[name]}, f"{caller.name} {name}: {answer}"


# The owner goes last: its revoke-others row revokes every session but its own.
@pytest.mark.parametrize("caller_name", list(matrix.CALLER_SCOPES))
def test_each_caller_gets_exactly_what_the_table_says(hostile_server, minter, caller_name):
    caller = minter.caller(caller_name)
    check_socket(hostile_server, caller)
    rows = sorted(matrix.ROUTES, key=lambda route: LAST_ROWS.index(route.path) if route.path in LAST_ROWS else -1)
    for route in rows:
        check_route(hostile_server, caller, route)


def test_a_method_the_table_does_not_give_a_route_answers_405(hostile_server, minter):
    owner = minter.live("owner")
    for path in {route.path for route in matrix.ROUTES if route.kind == "api"}:
        listed = {route.method for route in matrix.ROUTES if route.path == path}
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - listed:
            reply = request(method, hostile_server.base_url + filled(path), headers=owner.headers)
            assert (reply.status, reply.json["error"]["code"]) == (405, "method_not_allowed"), (method, path)

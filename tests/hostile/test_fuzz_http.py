"""Hostile requests at every HTTP route, through a real server: a documented answer, never a 500.

Every route of the authorization table (tests/hostile/matrix.py) gets bodies that are not JSON,
JSON that is not an object, and objects with each known field missing, of the wrong type, huge or
odd Unicode, plus unknown fields; path parts and queries get the same strings. An /api/ answer is
a success or `{"error": {"code", "message"}}` with a 4xx status; a page answers without failing;
no body holds a traceback.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from endpoints.models import NETWORK_MODES
from tests.hostile import matrix
from tests.hostile.callers import Caller
from tests.hostile.conftest import fuzz
from tests.hostile.strategies import DEEP_JSON, JSON_VALUES, ODD_TEXT, ODD_VALUES, WRONG_TYPES, encoded, params_for
from tests.support.http import Reply

TRACEBACK = "Traceback (most recent call last)"
DOCUMENTED_STATUSES = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 429}
# Answers about a program or machine this server drives, documented with their own codes:
# there is no `tailscale` here, and SSH targets stay unusable (see below).
OUTSIDE_FAILURES = {502: {"tailscale_error", "ssh_failed"}}
# Rows whose allowed answer signs callers out (tests/hostile/test_matrix.py plays them).
SIGNING_OUT = {"/api/auth/logout", "/api/auth/sessions/revoke-others"}
# Saved environments the fuzz makes are named so; path keys never name one, so no DELETE reaches out to it.
FUZZ_PREFIX = "fuzz-"

# An SSH target the server refuses before connecting anywhere: not a string, or one with a space.
UNUSABLE_TARGET = st.one_of(WRONG_TYPES, st.tuples(ODD_TEXT, ODD_TEXT).map(" ".join))
LABEL = {"label": ODD_VALUES}
BODY_FIELDS: dict[tuple[str, str], dict[str, st.SearchStrategy]] = {
    ("POST", "/api/auth/pair"): {
        "token": st.one_of(ODD_VALUES, st.sampled_from(["ABCD-EFGH-JKMN", "abcdefghjkmn", "2345 6789 ABCD"])),
        "label": ODD_VALUES,
        "mode": st.one_of(st.sampled_from(["cookie", "bearer"]), ODD_VALUES),
    },
    ("POST", "/api/auth/pairing-links"): {
        "label": ODD_VALUES,
        "ttl": st.one_of(st.sampled_from(["90s", "5m", "1h", "400d", "0s", "-1m"]), ODD_VALUES),
        "role": st.one_of(st.sampled_from(["owner", "client"]), ODD_VALUES),
        "scopes": st.one_of(st.lists(st.sampled_from(["read", "write", "terminal", "admin"])), ODD_VALUES),
    },
    ("PATCH", "/api/auth/sessions/<session_id>"): LABEL,
    ("POST", "/api/endpoints/default"): {"preferenceKey": ODD_VALUES},
    ("POST", "/api/endpoints/tailscale-serve"): {"httpsPort": st.one_of(st.integers(), ODD_VALUES)},
    ("POST", "/api/endpoints/network-access"): {"mode": ODD_VALUES.filter(lambda mode: mode not in NETWORK_MODES)},
    ("POST", "/api/endpoints/qr"): {"text": ODD_VALUES},
    ("POST", "/api/environments"): {
        "environmentId": st.one_of(ODD_TEXT.map(lambda text: FUZZ_PREFIX + text), WRONG_TYPES),
        "label": ODD_VALUES,
        "httpBaseUrl": st.one_of(st.just("http://127.0.0.1:9"), ODD_VALUES),
        "wsBaseUrl": st.one_of(st.just("ws://127.0.0.1:9"), ODD_VALUES),
        "kind": st.one_of(st.sampled_from(["direct", "ssh"]), ODD_VALUES),
        "ssh": st.one_of(st.fixed_dictionaries({}, optional={"host": ODD_VALUES, "port": ODD_VALUES}), ODD_VALUES),
        "sessionToken": ODD_VALUES,
    },
    ("POST", "/api/environments/ssh"): {
        "target": UNUSABLE_TARGET,
        "port": ODD_VALUES,
        "identity": ODD_VALUES,
        "remoteDir": ODD_VALUES,
        "acceptNewHostKey": ODD_VALUES,
        "label": ODD_VALUES,
    },
    ("PATCH", "/api/environments/<key>"): LABEL,
}
BODIES = {
    key: st.one_of(
        params_for(fields).map(encoded).map(lambda text: text.encode()),
        st.binary(max_size=200),
        ODD_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
        JSON_VALUES.map(encoded).map(lambda text: text.encode()),
        DEEP_JSON.map(str.encode),
    )
    for key, fields in BODY_FIELDS.items()
}
ANY_BODY = st.one_of(st.none(), st.binary(max_size=100), JSON_VALUES.map(encoded).map(lambda text: text.encode()))
# Not multipart/form-data: Twisted parses such a body itself, before t3site, and answers one it
# cannot parse with a bare 400 (no JSON), which no t3site client ever sends.
CONTENT_TYPES = st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""])
# Twisted drops a request whose line is over 16 KiB before it reaches t3site: parts stay well under.
URL_PART_MAX_CHARS = 4000
PATH_PART = ODD_TEXT.filter(lambda text: not text.startswith(FUZZ_PREFIX)).map(
    lambda text: quote(text.encode("utf-8", "surrogatepass"), safe="")[:URL_PART_MAX_CHARS] or "x"
)


@dataclass
class Target:
    server: object
    owner: Caller


@pytest.fixture(scope="module")
def target(hostile_server, minter) -> Target:
    return Target(hostile_server, minter.live("owner"))


def send(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Reply:
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


def assert_documented(path: str, reply: Reply, what: str) -> None:
    where = f"{what}: {reply.status} {reply.body[:500]!r}"
    assert TRACEBACK.encode() not in reply.body, where
    if not path.startswith("/api/"):
        assert reply.status < 500, where
        return
    if reply.status < 400:
        assert reply.status in DOCUMENTED_STATUSES, where
        return
    error = reply.json["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str), where
    assert reply.status in DOCUMENTED_STATUSES or error["code"] in OUTSIDE_FAILURES.get(reply.status, ()), where


API_PATHS = sorted({route.path for route in matrix.ROUTES if route.kind == "api"} - SIGNING_OUT)


@pytest.mark.parametrize("path", API_PATHS)
def test_every_api_route_answers_hostile_requests_with_a_documented_error(target, path):
    log_from = len(target.server.output)
    listed = sorted(route.method for route in matrix.ROUTES if route.path == path)

    @fuzz()
    @given(
        method=st.one_of(
            st.sampled_from(listed), st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        ),
        parts=st.lists(PATH_PART, min_size=2, max_size=2),
        body=st.data(),
        content_type=CONTENT_TYPES,
    )
    def answers(method, parts, body, content_type):
        filled = re.sub(r"<\w+>", lambda _: parts.pop(), path)
        data = body.draw(BODIES.get((method, path), ANY_BODY))
        headers = {**target.owner.headers, **({"Content-Type": content_type} if content_type else {})}
        reply = send(method, target.server.base_url + filled, data, headers)
        assert_documented(filled, reply, f"{method} {filled} {data[:200] if data else data!r}")

    answers()
    assert TRACEBACK not in target.server.output[log_from:], target.server.output[log_from:][-3000:]


def query(fields: dict[str, str]) -> str:
    encoded_fields = {k.encode("utf-8", "surrogatepass"): v.encode("utf-8", "surrogatepass") for k, v in fields.items()}
    return urlencode(encoded_fields)[:URL_PART_MAX_CHARS]


def test_unknown_api_paths_and_odd_page_queries_answer_without_failing(target):
    log_from = len(target.server.output)
    pages = [route.path for route in matrix.ROUTES if route.kind != "api"]

    @fuzz(60)
    @given(
        where=st.one_of(
            PATH_PART.map(lambda part: f"/api/{part}"),
            st.tuples(st.sampled_from(pages), st.dictionaries(ODD_TEXT, ODD_TEXT, max_size=3)).map(
                lambda page: page[0] + "?" + query(page[1])
            ),
        ),
        method=st.sampled_from(["GET", "POST", "DELETE"]),
        authorized=st.booleans(),
    )
    def answers(where, method, authorized):
        reply = send(method, target.server.base_url + where, None, target.owner.headers if authorized else {})
        assert_documented(where, reply, f"{method} {where}")

    answers()
    assert TRACEBACK not in target.server.output[log_from:], target.server.output[log_from:][-3000:]


# Header values as HTTP carries them (Latin-1). Not the C0 and C1 controls: daphne itself answers a
# header holding one with its own HTML 400, before t3site sees the request.
HEADER_TEXT = st.text(alphabet=st.characters(codec="latin-1", exclude_categories=["Cc"]))


def test_hostile_credentials_and_origins_are_refused_with_documented_codes(target):
    log_from = len(target.server.output)

    @fuzz(60)
    @given(
        authorization=st.one_of(
            st.none(), HEADER_TEXT, HEADER_TEXT.map(lambda text: "Bearer " + text), st.just("Bearer t3s_" + "A" * 43)
        ),
        cookie=st.one_of(st.none(), HEADER_TEXT.map(lambda text: "t3site_session=" + text), HEADER_TEXT),
        origin=st.one_of(st.none(), HEADER_TEXT, st.just("http://evil.example")),
        path=st.sampled_from(["/api/auth/session", "/api/auth/ws-ticket", "/api/auth/sessions", "/api/environments"]),
    )
    def answers(authorization, cookie, origin, path):
        headers = {
            name: value
            for name, value in (("Authorization", authorization), ("Cookie", cookie), ("Origin", origin))
            if value is not None
        }
        method = "POST" if path == "/api/auth/ws-ticket" else "GET"
        reply = send(method, target.server.base_url + path, None, headers)
        assert_documented(path, reply, f"{method} {path} {headers!r}")
        if path == "/api/auth/session":
            assert reply.status == 200 and reply.json == {"authenticated": False}, reply.body
        else:
            assert reply.status in (401, 403), reply.body

    answers()
    assert TRACEBACK not in target.server.output[log_from:], target.server.output[log_from:][-3000:]


def test_a_body_over_the_upload_limit_gets_the_json_error_shape(target):
    reply = send(
        "POST",
        target.server.base_url + "/api/auth/pairing-links",
        b'{"label": "' + b"x" * (3 * 1024 * 1024) + b'"}',
        {**target.owner.headers, "Content-Type": "application/json"},
    )
    assert 400 <= reply.status < 500, reply.body[:300]
    assert_documented("/api/auth/pairing-links", reply, "a 3 MiB body")

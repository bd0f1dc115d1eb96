"""The session answer pairing.fast builds itself is Django's answer, byte for byte.

Once Django has answered ``GET /api/auth/session`` for a host and scheme, pairing.fast answers
later requests of that shape itself, for sessions resolved in memory, without the middleware
chain. Each request below is answered by the ASGI application (the path a served request takes)
and by Django's full handler (the test client), and the two must not differ in a byte of status,
headers or body, whatever credential is presented, over whichever host and scheme.
"""

from __future__ import annotations

import ipaddress
import re

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.test import Client

from pairing import fast
from pairing.auth import SESSION_COOKIE
from pairing.models import DeviceSession
from t3site.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

HOSTS = ["127.0.0.1:3773", "[::1]:3773", "box.tailnet.example"]


@pytest.fixture
def respond_calls(monkeypatch):
    """Count the requests pairing.fast hands to Django's middleware chain."""
    calls = []
    real = fast._respond

    def counted(request):
        calls.append(request.path)
        return real(request)

    monkeypatch.setattr(fast, "_respond", counted)
    return calls


@pytest.fixture(autouse=True)
def trusted_loopback_proxy(settings):
    # A trusted proxy's X-Forwarded-Proto makes the scheme https (a different policy header).
    settings.T3SITE_TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"),)


def without_new_csrf_token(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Return ``headers`` with the value and expiry of a CSRF cookie Django set replaced: each is a new
    random one, expiring a year from the second it was made (two answers may straddle a second)."""
    return [
        (name, re.sub(rb"expires=[^;]+", b"expires=WHEN", re.sub(rb"^csrftoken=[A-Za-z0-9]+", b"csrftoken=NEW", value)))
        if value.startswith(b"csrftoken=")
        else (name, value)
        for name, value in headers
    ]


def through_asgi(headers: dict[str, str]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    communicator = HttpCommunicator(
        application,
        "GET",
        "/api/auth/session",
        headers=[(name.lower().encode(), value.encode()) for name, value in headers.items()],
    )
    communicator.scope["client"] = ("127.0.0.1", 50000)
    answer = async_to_sync(communicator.get_response)()
    return answer["status"], without_new_csrf_token(list(answer["headers"])), answer["body"]


def through_django(headers: dict[str, str]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    response = Client().get("/api/auth/session", headers=headers, REMOTE_ADDR="127.0.0.1")
    _, names_and_values, body = fast._parts(response)
    return response.status_code, without_new_csrf_token(names_and_values), body


def credentials() -> dict[str, dict[str, str]]:
    _, owner = DeviceSession.objects.issue(label="laptop")
    _, phone = DeviceSession.objects.issue(role="client", label="phone", auth_mode="cookie")
    revoked, revoked_token = DeviceSession.objects.issue(label="old tablet")
    revoked.revoke("test")
    return {
        "none": {},
        "bearer": {"Authorization": f"Bearer {owner}"},
        "cookie from this server": {"Cookie": f"{SESSION_COOKIE}={phone}", "Origin": "http://127.0.0.1:3773"},
        "cookie from another origin": {"Cookie": f"{SESSION_COOKIE}={phone}", "Origin": "https://elsewhere.example"},
        "unknown token": {"Authorization": "Bearer t3s_" + "x" * 43},
        "revoked token": {"Authorization": f"Bearer {revoked_token}"},
        # Django's CSRF middleware keeps a well-formed CSRF cookie and replaces a malformed one.
        "bearer and a CSRF cookie": {"Authorization": f"Bearer {owner}", "Cookie": f"csrftoken={'a' * 32}"},
        "bearer and a malformed CSRF cookie": {"Authorization": f"Bearer {owner}", "Cookie": "csrftoken=bad"},
    }


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("host", HOSTS)
def test_the_session_answer_is_djangos_own_for_every_credential(host, scheme, respond_calls):
    fast.session_answer_headers.forget()
    for presented, headers in credentials().items():
        headers = {**headers, "Host": host, "X-Forwarded-Proto": scheme}
        for attempt in range(3):  # the first may resolve and learn, the next come from memory
            assert through_asgi(headers) == through_django(headers), f"{presented}, request {attempt + 1}"


def test_the_answer_is_built_without_the_middleware_chain_once_django_has_answered_that_shape(respond_calls):
    fast.session_answer_headers.forget()
    headers = {"Authorization": f"Bearer {credentials()['bearer']['Authorization'].split()[1]}", "Host": HOSTS[0]}

    first = through_asgi(headers)
    later = [through_asgi(headers) for _ in range(3)]

    assert first[0] == 200 and all(answer == first for answer in later)
    assert len(respond_calls) == 1  # Django answered once; the rest were built from what it said
    other_host = through_asgi({**headers, "Host": HOSTS[1]})
    assert other_host[0] == 200 and len(respond_calls) == 2  # a new shape is Django's to answer first


def test_a_revoked_session_is_refused_by_the_built_answer_at_once(respond_calls):
    fast.session_answer_headers.forget()
    session, token = DeviceSession.objects.issue(label="phone")
    headers = {"Authorization": f"Bearer {token}", "Host": HOSTS[0]}
    for _ in range(2):
        assert b'"authenticated": true' in through_asgi(headers)[2]

    session.revoke("lost phone")

    assert through_asgi(headers)[2] == b'{"authenticated": false}'


def test_made_up_hosts_keep_a_bounded_number_of_shapes_and_cannot_lock_a_real_one_out(respond_calls):
    fast.session_answer_headers.forget()
    real = {"Host": HOSTS[0]}
    through_asgi(real)
    for index in range(fast.SessionAnswerHeaders.MAX_SHAPES + 5):
        assert through_asgi({"Host": f"host{index}.example"})[0] == 200
        through_asgi(real)  # in use all along: never the least recently used

    assert len(fast.session_answer_headers._learned) == fast.SessionAnswerHeaders.MAX_SHAPES
    calls = len(respond_calls)
    assert through_asgi(real) == through_django(real) and len(respond_calls) == calls  # still built
    for index in range(fast.SessionAnswerHeaders.MAX_SHAPES):
        through_asgi({"Host": f"other{index}.example"})
    # Pushed out by a flood of new hosts, it is Django's to answer once, then built again.
    through_asgi(real)
    calls = len(respond_calls)
    assert through_asgi(real) == through_django(real) and len(respond_calls) == calls

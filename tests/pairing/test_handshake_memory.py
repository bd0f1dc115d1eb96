"""pairing.wsauth.accepted_from_memory: a handshake let in without the database only when nothing could have changed."""

from __future__ import annotations

import pytest

from pairing.models import DeviceSession
from pairing.resolved import session_for_token
from pairing.wsauth import accepted_from_memory

pytestmark = pytest.mark.django_db(transaction=True)


def scope(*, bearer: str | None = None, origin: str | None = None, query: bytes = b"") -> dict:
    headers = [(b"host", b"127.0.0.1:3773")]
    if bearer:
        headers.append((b"authorization", f"Bearer {bearer}".encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "headers": headers, "client": ["127.0.0.1", 50000], "query_string": query}


@pytest.fixture
def resolved_phone():
    """A phone's session, resolved once (so it sits in the cache) and connected once (so no write is due)."""
    session, token = DeviceSession.objects.issue(label="phone")
    session.touch(connected=True)
    session_for_token(token)
    return session, token


def test_a_resolved_live_session_is_let_in_from_memory(resolved_phone):
    session, token = resolved_phone

    accepted = accepted_from_memory(scope(bearer=token))

    assert accepted is not None and accepted.session.id == session.id


def test_a_revocation_committed_after_it_was_resolved_sends_the_handshake_to_the_database(resolved_phone):
    session, token = resolved_phone

    DeviceSession.objects.filter(pk=session.pk).update(revoked_at=session.created_at)

    assert accepted_from_memory(scope(bearer=token)) is None


@pytest.mark.parametrize(
    "presented",
    [
        {"bearer": None},  # no credential: refused by the full path, which counts it
        {"origin": "https://evil.example"},  # a refused origin, likewise
        {"query": b"ticket=t3w_x"},  # a ticket is claimed, a write
    ],
)
def test_anything_else_goes_to_the_full_path(resolved_phone, presented):
    _, token = resolved_phone

    assert accepted_from_memory(scope(**{"bearer": token, **presented})) is None


def test_a_token_never_resolved_goes_to_the_full_path():
    _, token = DeviceSession.objects.issue(label="tablet")

    assert accepted_from_memory(scope(bearer=token)) is None

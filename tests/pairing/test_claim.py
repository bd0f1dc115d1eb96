"""Pairing links are claimed once, atomically; sessions slide and cap; nothing secret is stored."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from pairing.models import DeviceSession, ExpiredToken, InvalidToken, PairingCredential, WebSocketTicket
from pairing.tokens import MalformedToken
from tests.support.clock import later

pytestmark = pytest.mark.django_db


def test_it_exchanges_a_pairing_token_for_a_session():
    link, code = PairingCredential.objects.issue(role="client", label="phone")
    session, token = PairingCredential.objects.claim(code.lower(), client_ip="192.0.2.1", user_agent="UA")
    assert session.role == "client" and session.scopes == ["read", "write", "terminal"]
    assert session.label == "phone" and session.client_ip == "192.0.2.1"
    assert DeviceSession.objects.for_token(token) == session
    link.refresh_from_db()
    assert link.state == "used" and link.claimed_session == session


def test_it_rejects_a_used_token_exactly_like_an_unknown_one():
    _, code = PairingCredential.objects.issue()
    PairingCredential.objects.claim(code)
    with pytest.raises(InvalidToken) as used:
        PairingCredential.objects.claim(code)
    with pytest.raises(InvalidToken) as unknown:
        PairingCredential.objects.claim("ABCDEFGHJKMN")
    assert (used.value.code, used.value.message) == (unknown.value.code, unknown.value.message)


def test_it_refuses_an_expired_token_after_five_minutes():
    _, code = PairingCredential.objects.issue()
    with later(5 * 60 + 1), pytest.raises(ExpiredToken):
        PairingCredential.objects.claim(code)


def test_it_accepts_a_token_just_before_it_expires():
    _, code = PairingCredential.objects.issue()
    with later(5 * 60 - 1):
        session, _ = PairingCredential.objects.claim(code)
    assert session.pk


def test_it_refuses_a_revoked_link_like_an_unknown_one():
    link, code = PairingCredential.objects.issue()
    assert link.revoke()
    with pytest.raises(InvalidToken):
        PairingCredential.objects.claim(code)


def test_it_refuses_a_malformed_token():
    with pytest.raises(MalformedToken):
        PairingCredential.objects.claim("not-a-code")


def test_it_stores_only_digests():
    link, code = PairingCredential.objects.issue()
    session, token = PairingCredential.objects.claim(code)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM pairing_pairingcredential")
        link_rows = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM pairing_devicesession")
        session_rows = repr(cursor.fetchall())
    assert code not in link_rows and token not in session_rows
    assert len(link.digest) == 64


@pytest.mark.django_db(transaction=True)
def test_exactly_one_of_many_concurrent_claims_wins():
    _, code = PairingCredential.objects.issue()
    results: list[str] = []
    start = threading.Barrier(12)

    def claim() -> None:
        start.wait(timeout=10)
        try:
            PairingCredential.objects.claim(code)
            results.append("won")
        except InvalidToken:
            results.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["lost"] * 11 + ["won"]
    assert DeviceSession.objects.count() == 1


def test_a_session_slides_forward_when_used_and_ends_when_idle():
    session, token = DeviceSession.objects.issue(idle_ttl_seconds=3600)
    with later(3000):
        session.touch()
    session.refresh_from_db()
    with later(3000 + 3599):
        assert DeviceSession.objects.for_token(token).is_active
    with later(3000 + 3601):
        assert not DeviceSession.objects.for_token(token).is_active


def test_a_session_never_outlives_the_absolute_cap(settings):
    settings.T3SITE_SESSION_MAX_TTL_SECONDS = 7200
    session, _ = DeviceSession.objects.issue(idle_ttl_seconds=3600)
    with later(3000):
        session.touch()
    with later(6000):
        session.touch()
    session.refresh_from_db()
    assert session.expires_at == session.absolute_expires_at
    with later(7201):
        assert not session.is_active


def test_revoking_is_soft_and_keeps_the_reason(owner_device):
    assert owner_device.session.revoke("lost phone")
    owner_device.session.refresh_from_db()
    assert owner_device.session.state == "revoked" and owner_device.session.revoked_reason == "lost phone"
    assert not owner_device.session.revoke("again")


def test_a_ticket_works_once_and_for_sixty_seconds(owner_device):
    _, raw = WebSocketTicket.objects.issue(owner_device.session)
    assert WebSocketTicket.objects.claim(raw) == owner_device.session
    with pytest.raises(InvalidToken):
        WebSocketTicket.objects.claim(raw)
    _, late = WebSocketTicket.objects.issue(owner_device.session)
    with later(61), pytest.raises(InvalidToken):
        WebSocketTicket.objects.claim(late)


def test_revoking_a_session_revokes_the_unused_links_it_created(owner_device):
    link, code = PairingCredential.objects.issue(created_by=owner_device.session)
    owner_device.session.revoke("lost")
    link.refresh_from_db()
    assert link.state == "revoked"
    with pytest.raises(InvalidToken):
        PairingCredential.objects.claim(code)

"""Pairing links are claimed once, atomically; sessions slide and cap; nothing secret is stored."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from pairing.models import (
    LINK_STATES,
    SESSION_STATES,
    DeviceSession,
    ExpiredToken,
    InvalidLabel,
    InvalidToken,
    PairingCredential,
    WebSocketTicket,
)
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


PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def test_a_link_is_a_client_link_unless_it_asks_for_owner():
    client_link, _ = PairingCredential.objects.issue()
    owner_link, _ = PairingCredential.objects.issue(role="owner")
    assert (client_link.role, client_link.scopes) == ("client", ["read", "write", "terminal"])
    assert (owner_link.role, owner_link.scopes) == ("owner", ["read", "write", "terminal", "admin"])


def test_the_device_is_named_by_its_link_and_records_it():
    link, code = PairingCredential.objects.issue(label="ipad")
    session, _ = PairingCredential.objects.claim(code, user_agent=PHONE_AGENT)
    assert session.label == "ipad" and session.pairing == link
    assert DeviceSession.objects.get(pk=session.pk).pairing_id == link.id
    assert session.as_dict() | {"pairingId": link.id, "pairingLabel": "ipad"} == session.as_dict()


def test_the_name_a_device_gives_itself_wins_over_the_links():
    _, code = PairingCredential.objects.issue(label="ipad")
    session, _ = PairingCredential.objects.claim(code, label="Kitchen tablet", user_agent=PHONE_AGENT)
    assert session.label == "Kitchen tablet"


def test_a_device_nobody_named_is_named_from_its_user_agent():
    _, code = PairingCredential.objects.issue()
    session, _ = PairingCredential.objects.claim(code, label="  ", user_agent=PHONE_AGENT)
    assert session.label == "Chrome on Android"


def test_a_device_is_renamed_without_touching_anything_else(client_device):
    stale = DeviceSession.objects.get(pk=client_device.session.pk)
    client_device.session.revoke("lost")
    assert stale.rename("  Old   phone ") == "Old phone"
    fresh = DeviceSession.objects.get(pk=stale.pk)
    assert fresh.label == "Old phone" and fresh.state == "revoked"  # the stale copy did not un-revoke it
    with pytest.raises(InvalidLabel):
        fresh.rename(" ")


def test_listings_filter_by_the_state_they_show(client_device, revoked_device):
    DeviceSession.objects.issue(label="soon idle", idle_ttl_seconds=60)
    _, code = PairingCredential.objects.issue()
    PairingCredential.objects.claim(code)
    PairingCredential.objects.issue()
    PairingCredential.objects.issue(ttl_seconds=60)
    PairingCredential.objects.issue()[0].revoke()
    with later(120):
        for state in SESSION_STATES:
            assert {session.state for session in DeviceSession.objects.in_state(state)} == {state}
        for state in LINK_STATES:
            assert {link.state for link in PairingCredential.objects.in_state(state)} == {state}
    with pytest.raises(ValueError):
        DeviceSession.objects.in_state("lost")


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

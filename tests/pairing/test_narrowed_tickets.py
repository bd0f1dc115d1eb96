"""Narrowed WebSocket tickets (docs/contract.md §8): `POST /api/auth/ws-ticket {"scopes":[...]}`."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from pairing.models import DeviceSession, WebSocketTicket
from tests.support.sockets import call, close_code, communicator, run

pytestmark = pytest.mark.django_db(transaction=True)


def post(client, body, device):
    return client.post("/api/auth/ws-ticket", json.dumps(body), content_type="application/json", **device.auth)


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_a_ticket_can_be_narrowed_to_some_of_the_callers_scopes(client, client_device):
    response = post(client, {"scopes": ["read"]}, client_device)
    assert response.status_code == 200 and response.json()["ticket"].startswith("t3w_")
    assert WebSocketTicket.objects.get().scopes == ["read"]


def test_a_ticket_without_scopes_keeps_every_scope_of_the_session(client, client_device):
    assert post(client, {}, client_device).status_code == 200
    assert WebSocketTicket.objects.get().scopes is None


def test_asking_for_a_scope_the_caller_lacks_is_403_insufficient_scope(client, read_only_device):
    response = post(client, {"scopes": ["read", "terminal"]}, read_only_device)
    assert response.status_code == 403 and error_code(response) == "insufficient_scope"
    assert "terminal" in response.json()["error"]["message"]
    assert not WebSocketTicket.objects.exists()


@pytest.mark.parametrize("scopes", [[], ["root"], "read", [1], {"read": True}])
def test_no_scopes_an_unknown_one_or_not_a_list_of_strings_is_400(client, owner_device, scopes):
    response = post(client, {"scopes": scopes}, owner_device)
    assert response.status_code == 400 and error_code(response) == "bad_request"
    assert not WebSocketTicket.objects.exists()


def test_the_scopes_are_kept_in_canonical_order_without_repeats(owner_device):
    ticket, _ = WebSocketTicket.objects.issue(owner_device.session, ["terminal", "read", "terminal"])
    assert ticket.scopes == ["read", "terminal"]


def test_a_narrowed_socket_is_refused_what_its_ticket_left_out(client_device):
    _, ticket = WebSocketTicket.objects.issue(client_device.session, ["read"])

    async def scenario():
        comm = communicator(f"?ticket={ticket}")
        assert (await comm.connect())[0]
        assert (await call(comm, "server.probe"))["result"]["ok"]
        refused = (await call(comm, "terminal.open", {"cols": 80, "rows": 24}, request_id=2))["error"]
        assert refused["code"] == -32001 and refused["data"] == {"scope": "terminal"}
        info = (await call(comm, "server.info", request_id=3))["result"]["session"]
        assert info["id"] == client_device.session.id and info["scopes"] == ["read"]
        await comm.disconnect()

    run(scenario())


def test_narrowing_a_socket_never_narrows_the_session_itself(client_device):
    _, ticket = WebSocketTicket.objects.issue(client_device.session, ["read"])

    async def scenario():
        comm = communicator(f"?ticket={ticket}")
        await comm.connect()
        await call(comm, "server.probe")
        await comm.disconnect()

    run(scenario())
    assert DeviceSession.objects.get(pk=client_device.session.pk).scopes == ["read", "write", "terminal"]


def test_revoking_the_session_closes_its_narrowed_socket_with_4410(client_device):
    _, ticket = WebSocketTicket.objects.issue(client_device.session, ["read"])

    async def scenario():
        comm = communicator(f"?ticket={ticket}")
        await comm.connect()
        assert (await call(comm, "server.probe"))["result"]["ok"]
        await sync_to_async(client_device.session.revoke)("test")
        assert await close_code(comm, timeout=2) == 4410

    run(scenario())

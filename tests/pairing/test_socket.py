"""/ws authentication, close codes and JSON-RPC framing (docs/contract.md §5), in-process."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from asgiref.sync import sync_to_async

from pairing import revocation
from pairing.models import DeviceSession, PairingCredential, WebSocketTicket
from pairing.ratelimit import AUTH_FAILURE_LIMIT
from t3site import watch
from tests.support.clock import later
from tests.support.sockets import bearer, call, close_code, communicator, open_socket, run

pytestmark = pytest.mark.django_db(transaction=True)


def cookie(token: str, origin: str | None = None) -> list[tuple[bytes, bytes]]:
    headers = [(b"cookie", f"t3site_session={token}".encode())]
    if origin:
        headers.append((b"origin", origin.encode()))
    return headers


def test_a_ticket_opens_the_socket_once(owner_device):
    _, ticket = WebSocketTicket.objects.issue(owner_device.session)

    async def scenario():
        first = communicator(f"?ticket={ticket}")
        assert (await first.connect())[0]
        assert (await call(first, "server.probe"))["result"]["ok"] is True
        await first.disconnect()
        second = communicator(f"?ticket={ticket}")
        await second.connect()
        assert await close_code(second) == 4401

    run(scenario())


def test_a_ticket_works_from_any_origin(owner_device):
    _, ticket = WebSocketTicket.objects.issue(owner_device.session)

    async def scenario():
        comm = communicator(f"?ticket={ticket}", [(b"origin", b"https://hosted.example")])
        await comm.connect()
        assert (await call(comm, "server.probe"))["result"]["ok"]
        await comm.disconnect()

    run(scenario())


def test_cookie_auth_from_a_foreign_origin_is_refused(owner_device):
    async def scenario():
        comm = communicator(headers=cookie(owner_device.token, "http://evil.example"))
        await comm.connect()
        assert await close_code(comm) == 4403

    run(scenario())


def test_cookie_auth_from_this_server_or_a_hosted_origin_is_accepted(owner_device, settings):
    settings.T3SITE_HOSTED_ORIGINS = ("https://app.example",)

    async def scenario():
        for origin in ("http://testserver", "https://app.example"):
            comm = communicator(headers=cookie(owner_device.token, origin))
            await comm.connect()
            assert (await call(comm, "server.probe"))["result"]["ok"], origin
            await comm.disconnect()

    run(scenario())


def test_bearer_auth_works_for_clients_without_an_origin(owner_device):
    async def scenario():
        comm = communicator(headers=bearer(owner_device.token))
        await comm.connect()
        info = (await call(comm, "server.info"))["result"]
        assert info["session"]["id"] == owner_device.session.id and info["session"]["current"]
        assert "environmentId" in info
        await comm.disconnect()

    run(scenario())


def test_server_info_names_the_link_a_device_paired_with_by_ticket_and_by_bearer():
    link, code = PairingCredential.objects.issue(label="ipad")
    session, token = PairingCredential.objects.claim(code)

    async def scenario():
        by_ticket = await open_socket(SimpleNamespace(session=session))
        by_bearer = communicator(headers=bearer(token))
        await by_bearer.connect()
        for comm in (by_ticket, by_bearer):
            info = (await call(comm, "server.info"))["result"]["session"]
            assert (info["label"], info["pairingId"], info["pairingLabel"]) == ("ipad", link.id, "ipad")
            await comm.disconnect()

    run(scenario())


@pytest.mark.parametrize(
    ("query", "headers", "code"),
    [
        ("", [], 4401),
        ("?ticket=t3w_" + "a" * 43, [], 4401),
        ("", [(b"authorization", b"Bearer t3s_" + b"b" * 43)], 4401),
    ],
)
def test_a_missing_or_invalid_credential_closes_with_4401(db, query, headers, code):
    async def scenario():
        comm = communicator(query, headers)
        await comm.connect()
        assert await close_code(comm) == code

    run(scenario())


def test_a_revoked_session_is_refused_with_4410(revoked_device):
    async def scenario():
        comm = communicator(headers=bearer(revoked_device.token))
        await comm.connect()
        assert await close_code(comm) == 4410

    run(scenario())


def test_it_closes_the_socket_when_the_session_is_revoked_in_this_process(owner_device):
    async def scenario():
        comm = communicator(headers=bearer(owner_device.token))
        await comm.connect()
        await sync_to_async(owner_device.session.revoke)("test")
        assert await close_code(comm, timeout=2) == 4410

    run(scenario())


def test_it_closes_the_socket_when_another_process_revokes_the_session(owner_device):
    async def scenario():
        comm = communicator(headers=bearer(owner_device.token))
        await comm.connect()
        # A plain UPDATE, as seen from another process: no group message reaches this one.
        from t3site import clock

        await sync_to_async(DeviceSession.objects.filter(pk=owner_device.session.pk).update)(revoked_at=clock.now())
        assert await close_code(comm, timeout=2 + watch.WATCH_INTERVAL_SECONDS) == 4410

    run(scenario())


def test_it_closes_the_socket_when_the_session_expires(db):
    session, token = DeviceSession.objects.issue(idle_ttl_seconds=3600)

    async def scenario():
        comm = communicator(headers=bearer(token))
        await comm.connect()
        assert (await call(comm, "server.probe"))["result"]["ok"]
        with later(3601):
            await revocation.watcher.check_now()
        assert await close_code(comm) == 4410

    run(scenario())


def test_failed_socket_auth_is_rate_limited_with_4429(db):
    _, code = PairingCredential.objects.issue()

    async def scenario():
        for _ in range(AUTH_FAILURE_LIMIT):
            comm = communicator("?ticket=t3w_" + "c" * 43)
            await comm.connect()
            assert await close_code(comm) == 4401
        comm = communicator("?ticket=t3w_" + "c" * 43)
        await comm.connect()
        assert await close_code(comm) == 4429

    run(scenario())


def test_it_answers_json_rpc_errors_with_the_standard_codes(owner_device):
    async def scenario():
        comm = communicator(headers=bearer(owner_device.token))
        await comm.connect()
        await comm.send_to(text_data="{not json")
        assert json.loads(await comm.receive_from())["error"]["code"] == -32700
        await comm.send_to(text_data=json.dumps({"id": 2, "method": "server.probe"}))
        assert json.loads(await comm.receive_from())["error"]["code"] == -32600
        assert (await call(comm, "no.such", request_id=3))["error"]["code"] == -32601
        await comm.send_to(text_data=json.dumps({"jsonrpc": "2.0", "id": 4, "method": "server.probe", "params": [1]}))
        assert json.loads(await comm.receive_from())["error"]["code"] == -32602
        await comm.send_to(text_data=json.dumps({"jsonrpc": "2.0", "method": "server.probe"}))
        assert await comm.receive_nothing(0.3)
        await comm.disconnect()

    run(scenario())


def test_a_method_outside_the_sessions_scopes_is_refused_with_32001(db):
    session, token = DeviceSession.objects.issue(role="client", scopes=["terminal"])

    async def scenario():
        comm = communicator(headers=bearer(token))
        await comm.connect()
        error = (await call(comm, "server.probe"))["error"]
        assert error["code"] == -32001 and error["data"] == {"scope": "read"}
        await comm.disconnect()

    run(scenario())


def test_a_valid_credential_still_connects_when_the_ip_is_rate_limited(owner_device):
    async def scenario():
        for _ in range(AUTH_FAILURE_LIMIT + 1):
            comm = communicator("?ticket=t3w_" + "d" * 43)
            await comm.connect()
            await close_code(comm)
        comm = communicator(headers=bearer(owner_device.token))
        await comm.connect()
        assert (await call(comm, "server.probe"))["result"]["ok"]
        await comm.disconnect()

    run(scenario())

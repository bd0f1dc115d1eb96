"""The relayed socket /via/<environmentId>/ws (docs/contract.md §8), in-process, against a real backend."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from environments import credentials
from environments.models import Environment
from pairing.models import WebSocketTicket
from relay.consumers import backend_closed, close_reason
from tests.support.sockets import bearer, call, close_code, communicator, run
from tests.support.waiting import eventually

pytestmark = pytest.mark.django_db(transaction=True)

# docs/contract.md §8: revocations and removals close relayed sockets within 2 seconds.
DEADLINE_SECONDS = 2


async def relay_socket(device, path: str):
    """Return a connected communicator on ``path``, authenticated as ``device`` with a fresh ticket."""
    _, ticket = await database_sync_to_async(WebSocketTicket.objects.issue)(device.session)
    comm = communicator(f"?ticket={ticket}", path=path)
    assert (await comm.connect())[0]
    return comm


async def closed_with(comm, timeout: float = DEADLINE_SECONDS) -> tuple[int, str]:
    message = await comm.receive_output(timeout)
    assert message["type"] == "websocket.close", message
    return message["code"], message.get("reason", "")


async def output_until(comm, text: str, timeout: float = 10) -> str:
    """Collect terminal.output until ``text`` shows up in it."""
    seen = ""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while text not in seen:
        frame = json.loads(await comm.receive_from(max(0.1, deadline - loop.time())))
        if frame.get("method") == "terminal.output":
            seen += frame["params"]["data"]
    return seen


def test_a_device_paired_here_uses_the_backends_projects_through_the_relay(owner_device, relayed, backend):
    Environment.objects.filter(pk=relayed.environment.pk).update(last_connected_at=None)

    async def scenario():
        comm = await relay_socket(owner_device, relayed.path)
        info = (await call(comm, "server.info"))["result"]
        assert info["environmentId"] == relayed.environment.environment_id
        projects = (await call(comm, "projects.list", request_id=2))["result"]
        assert [p["id"] for p in projects["projects"]] == [backend.project_id]
        listed = (await call(comm, "files.list", {"projectId": backend.project_id}, request_id=3))["result"]
        assert "README.md" in json.dumps(listed)
        await comm.disconnect()

    run(scenario())
    # The saved environment's lastConnectedAt says it was just reached through the relay (written in the background).
    assert eventually(lambda: Environment.objects.get(pk=relayed.environment.pk).last_connected_at, seconds=5)


def test_the_backend_sees_the_devices_scopes_here_and_refuses_the_rest(read_only_device, relayed, backend):
    async def scenario():
        comm = await relay_socket(read_only_device, relayed.path)
        session = (await call(comm, "server.info"))["result"]["session"]
        # The backend's own view of the relayed socket: the saved credential, narrowed to the device.
        assert session["id"] == relayed.credential.session_id and session["scopes"] == ["read"]
        refused = (await call(comm, "terminal.open", {"cols": 80, "rows": 24}, request_id=2))["error"]
        assert refused["code"] == -32001 and refused["data"] == {"scope": "terminal"}
        await comm.disconnect()

    run(scenario())


def test_frames_pass_unchanged_both_ways_text_and_binary(owner_device, relayed):
    async def scenario():
        comm = await relay_socket(owner_device, relayed.path)
        await comm.send_to(bytes_data=b'{"jsonrpc":"2.0","id":1,"method":"server.probe"}')
        # Only the backend's /ws answers a binary frame this way: it reached the backend as binary.
        assert json.loads(await comm.receive_from())["error"]["message"] == "send text frames"
        await comm.send_to(text_data="{not json")
        assert json.loads(await comm.receive_from())["error"]["code"] == -32700
        await comm.disconnect()

    run(scenario())


def test_a_terminal_opened_through_the_relay_outlives_the_relayed_socket(owner_device, relayed, backend):
    async def scenario():
        first = await relay_socket(owner_device, relayed.path)
        opened = await call(first, "terminal.open", {"projectId": backend.project_id, "cols": 80, "rows": 24})
        terminal_id = opened["result"]["terminalId"]
        await first.send_to(
            text_data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "terminal.write",
                    "params": {"terminalId": terminal_id, "data": "echo relay-$((6*7))\r"},
                }
            )
        )
        await output_until(first, "relay-42")
        await first.disconnect()
        again = await relay_socket(owner_device, relayed.path)
        attached = (await call(again, "terminal.attach", {"terminalId": terminal_id}))["result"]
        assert "relay-42" in json.dumps(attached)
        await call(again, "terminal.close", {"terminalId": terminal_id}, request_id=2)
        await again.disconnect()

    run(scenario())


def test_an_environment_that_is_not_saved_here_closes_with_4404(owner_device):
    async def scenario():
        comm = await relay_socket(owner_device, "/via/no-such-environment/ws")
        code, reason = await closed_with(comm)
        assert code == 4404 and "no-such-environment" in reason

    run(scenario())


def test_an_environment_a_browser_saved_without_giving_this_server_a_credential_closes_with_4404(
    owner_device, browser_only
):

    async def scenario():
        comm = await relay_socket(owner_device, "/via/browser-only/ws")
        assert (await closed_with(comm))[0] == 4404

    run(scenario())


def test_the_relay_is_authenticated_exactly_like_ws(relayed, revoked_device, owner_device):
    async def scenario():
        refused = [
            (communicator(path=relayed.path), 4401),
            (communicator(path=relayed.path, headers=bearer(revoked_device.token)), 4410),
            (
                communicator(
                    path=relayed.path,
                    headers=[(b"cookie", f"t3site_session={owner_device.token}".encode()), (b"origin", b"http://evil")],
                ),
                4403,
            ),
        ]
        for comm, code in refused:
            await comm.connect()
            assert await close_code(comm) == code
        by_bearer = communicator(path=relayed.path, headers=bearer(owner_device.token))
        await by_bearer.connect()
        assert (await call(by_bearer, "server.probe"))["result"]["ok"]
        await by_bearer.disconnect()

    run(scenario())


def test_revoking_the_device_here_closes_the_relayed_socket_with_4410(client_device, relayed):
    async def scenario():
        comm = await relay_socket(client_device, relayed.path)
        assert (await call(comm, "server.probe"))["result"]["ok"]
        await sync_to_async(client_device.session.revoke)("test")
        assert (await closed_with(comm))[0] == 4410

    run(scenario())


def test_removing_the_environment_here_closes_the_relayed_socket_with_4410(owner_device, relayed):
    async def scenario():
        comm = await relay_socket(owner_device, relayed.path)
        assert (await call(comm, "server.probe"))["result"]["ok"]
        # The row alone, so the backend's session stays live: the close is the relay's own doing.
        await sync_to_async(Environment.objects.filter(pk=relayed.environment.pk).delete)()
        assert await closed_with(comm) == (4410, "the environment was removed from this server")

    run(scenario())


def test_forgetting_the_credential_here_closes_the_relayed_socket_within_2_seconds(owner_device, relayed):
    async def scenario():
        comm = await relay_socket(owner_device, relayed.path)
        assert (await call(comm, "server.probe"))["result"]["ok"]
        # As a command in another process would: no announcement, the watcher finds it.
        await sync_to_async(credentials.delete)(relayed.environment.environment_id)
        assert await closed_with(comm) == (4410, "the environment was removed from this server")

    run(scenario())


def test_the_backend_revoking_the_saved_credential_closes_the_relayed_socket_with_4410(owner_device, relayed, backend):
    async def scenario():
        comm = await relay_socket(owner_device, relayed.path)
        assert (await call(comm, "server.probe"))["result"]["ok"]
        revoked = await asyncio.to_thread(backend.api, "DELETE", f"/api/auth/sessions/{relayed.credential.session_id}")
        assert revoked.json["revoked"] is True
        code, reason = await closed_with(comm)
        assert code == 4410 and reason.startswith("the backend closed it")
        again = await relay_socket(owner_device, relayed.path)
        assert await closed_with(again) == (4502, "the backend refused the saved credential")

    run(scenario())


def test_an_unreachable_backend_closes_with_4502_and_says_why(owner_device, gone):

    async def scenario():
        comm = await relay_socket(owner_device, "/via/gone/ws")
        code, reason = await closed_with(comm, timeout=5)
        assert code == 4502 and "Connection refused" in reason, reason

    run(scenario())


@pytest.mark.parametrize(
    ("backend_code", "reason", "expected"),
    [
        (4410, "session revoked or expired", (4410, "the backend closed it: session revoked or expired")),
        (4413, "", (4413, "the backend closed it: 4413")),
        (1001, "", (4502, "the backend is going away (it stopped or restarts)")),
        (1006, "", (4502, "the connection to the backend was lost")),
        (1011, "boom", (4502, "the backend closed the connection (1011 boom)")),
    ],
)
def test_what_the_device_is_told_when_the_backend_closes(backend_code, reason, expected):
    assert backend_closed(backend_code, reason) == expected


def test_a_close_reason_is_cut_to_what_a_close_frame_carries():
    assert len(close_reason("é" * 100).encode()) <= 123
    assert close_reason("short") == "short"

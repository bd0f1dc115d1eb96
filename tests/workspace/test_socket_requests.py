"""How /ws takes requests: JSON-RPC framing, keystroke order, a flood of requests, who hears of project changes."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from django.db import connection

from pairing.models import DeviceSession
from tests.support.sockets import bearer, call, communicator
from workspace import consumers, rpc
from workspace.terminals import registry

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT_SECONDS = 10.0


def run(scenario) -> None:
    async def bounded() -> None:
        try:
            await asyncio.wait_for(scenario(), 60)
        finally:
            registry.stop_all()

    try:
        asyncio.run(bounded())
    finally:
        connection.close()


async def opened(token: str):
    comm = communicator(headers=bearer(token))
    connected, _ = await comm.connect(timeout=TIMEOUT_SECONDS)
    assert connected
    return comm


async def next_frame(comm) -> dict:
    return json.loads(await comm.receive_from(timeout=TIMEOUT_SECONDS))


@pytest.mark.parametrize(
    "frame",
    [{"method": 5}, {"jsonrpc": "2.0", "method": 5}, {"jsonrpc": "1.0", "method": "server.probe"}, [1, 2], "text"],
)
def test_it_answers_an_invalid_request_without_an_id_with_id_null(owner_device, frame):
    async def scenario():
        comm = await opened(owner_device.token)
        await comm.send_to(json.dumps(frame))
        answer = await next_frame(comm)
        assert answer["id"] is None and answer["error"]["code"] == rpc.INVALID_REQUEST
        await comm.disconnect()

    run(scenario)


def test_it_answers_an_invalid_id_with_id_null_rather_than_echoing_it(owner_device):
    async def scenario():
        comm = await opened(owner_device.token)
        await comm.send_to(json.dumps({"jsonrpc": "2.0", "id": {"x": 1}, "method": "server.probe"}))
        answer = await next_frame(comm)
        assert answer["id"] is None and answer["error"]["code"] == rpc.INVALID_REQUEST
        await comm.disconnect()

    run(scenario)


def test_it_never_answers_a_valid_notification_even_when_it_fails(owner_device):
    async def scenario():
        comm = await opened(owner_device.token)
        await comm.send_to(json.dumps({"jsonrpc": "2.0", "method": "no.such.method"}))
        await comm.send_to(json.dumps({"jsonrpc": "2.0", "method": "server.probe", "params": [1]}))
        assert await comm.receive_nothing(timeout=0.5)
        await comm.disconnect()

    run(scenario)


def test_it_delivers_keystrokes_in_the_order_they_were_sent(owner_device, monkeypatch):
    # Every frame touches the session, slowly: no keystroke may wait for it, or overtake another that does.
    monkeypatch.setattr(consumers, "TOUCH_INTERVAL_SECONDS", 0)
    touch = DeviceSession.touch
    monkeypatch.setattr(DeviceSession, "touch", lambda session, *a, **k: (time.sleep(0.005), touch(session, *a, **k)))
    typed = "".join("abcdefghijklmnopqrstuvwxyz0123456789"[n % 36] for n in range(200))

    async def scenario():
        comm = await opened(owner_device.token)
        terminal_id = (await call(comm, "terminal.open", {"command": ["cat"], "cols": 250, "rows": 24}))["result"][
            "terminalId"
        ]
        for n, key in enumerate(typed, start=100):
            frame = {"jsonrpc": "2.0", "id": n, "method": "terminal.write"}
            await comm.send_to(json.dumps({**frame, "params": {"terminalId": terminal_id, "data": key}}))
        echoed = ""
        answered = 0
        while typed not in echoed or answered < len(typed):
            frame = await next_frame(comm)
            if frame.get("method") == "terminal.output":
                echoed += frame["params"]["data"]
            elif "id" in frame:
                assert frame["result"] == {"ok": True}, frame
                answered += 1
        assert echoed == typed
        await comm.disconnect()

    run(scenario)


def test_it_refuses_requests_beyond_the_in_flight_limit_and_answers_the_rest(owner_device, monkeypatch):
    held = {}

    async def hold(call: rpc.Call) -> dict:
        await held["release"].wait()
        return {"held": True}

    monkeypatch.setitem(rpc._METHODS, "test.hold", rpc.Method("test.hold", "read", hold))
    extra = 6

    async def scenario():
        held["release"] = asyncio.Event()
        comm = await opened(owner_device.token)
        for n in range(1, consumers.MAX_CALLS_IN_FLIGHT + extra + 1):
            await comm.send_to(json.dumps({"jsonrpc": "2.0", "id": n, "method": "test.hold"}))
        refused = [await next_frame(comm) for _ in range(extra)]
        assert [frame["id"] for frame in refused] == list(range(consumers.MAX_CALLS_IN_FLIGHT + 1, 71))
        assert {frame["error"]["code"] for frame in refused} == {-32010}
        assert refused[0]["error"]["message"] == "too many requests in flight"
        held["release"].set()
        answered = [await next_frame(comm) for _ in range(consumers.MAX_CALLS_IN_FLIGHT)]
        assert sorted(frame["id"] for frame in answered) == list(range(1, consumers.MAX_CALLS_IN_FLIGHT + 1))
        assert all(frame["result"] == {"held": True} for frame in answered)
        await comm.disconnect()

    run(scenario)


def test_it_tells_only_sockets_with_the_read_scope_that_the_projects_changed(owner_device, tmp_path):
    _, terminal_only_token = DeviceSession.objects.issue(role="client", scopes=["terminal"], label="terminal only")

    async def scenario():
        owner = await opened(owner_device.token)
        terminal_only = await opened(terminal_only_token)
        assert "result" in await call(owner, "projects.add", {"path": str(tmp_path)})
        changed = await next_frame(owner)
        assert changed["method"] == "projects.changed"
        assert changed["params"]["projects"][0]["path"] == str(tmp_path.resolve())
        assert await terminal_only.receive_nothing(timeout=1.5)
        await owner.disconnect()
        await terminal_only.disconnect()

    run(scenario)

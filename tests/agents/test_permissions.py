"""Permission from the phone: an agent's request reaches every attached device; the first answer wins."""

from __future__ import annotations

import asyncio

import pytest

from tests.agents.support import Socket, run, text_of

pytestmark = pytest.mark.django_db(transaction=True)


async def started(socket: Socket, project, agent_id: str = "tools") -> str:
    return (await socket.call("agents.start", projectId=project.id, agentId=agent_id))["sessionId"]


def test_two_devices_see_the_request_one_answers_and_the_other_sees_it_resolved(
    owner_device, client_device, project, scripted_agents
):
    async def scenario():
        phone, tablet = await Socket.open(owner_device), await Socket.open(client_device)
        session_id = await started(phone, project)
        for device in (phone, tablet):
            await device.call("agents.attach", sessionId=session_id)
        turn = await phone.send("agents.prompt", sessionId=session_id, text="edit the notes")
        asked = await phone.notification("agents.permission", session_id)
        assert asked == await tablet.notification("agents.permission", session_id)
        assert asked["toolCall"]["toolCallId"] == "edit-1"
        assert [option["optionId"] for option in asked["options"]] == ["allow", "reject"]

        assert await tablet.call("agents.respond", sessionId=session_id, requestId=asked["requestId"], optionId="allow")
        resolved = await phone.notification("agents.resolved", session_id)
        assert resolved == {
            "sessionId": session_id, "requestId": asked["requestId"], "optionId": "allow", "outcome": "selected"
        }  # fmt: skip
        late = await phone.error(
            "agents.respond", sessionId=session_id, requestId=asked["requestId"], optionId="reject"
        )
        assert late["code"] == -32009

        assert (await phone.answer(turn))["result"] == {"stopReason": "end_turn"}
        await tablet.until("idle", session_id)
        updates = [params["update"] for params in tablet.updates(session_id)]
        statuses = [u.get("status") for u in updates if u["sessionUpdate"] in ("tool_call", "tool_call_update")]
        assert statuses == ["pending", "completed"]
        assert "Done: edited notes.txt." in text_of(updates)

    run(scenario)


def test_a_request_waits_for_a_device_to_come_back_and_is_offered_to_it_when_it_attaches(
    owner_device, project, scripted_agents
):
    async def scenario():
        phone = await Socket.open(owner_device)
        session_id = await started(phone, project)
        # The phone prompts without watching (as one that went to sleep right after): nobody sees the request.
        turn = await phone.send("agents.prompt", sessionId=session_id, text="edit the notes")
        await asyncio.sleep(0.5)
        assert not phone.pending

        later = await Socket.open(owner_device)
        attached = await later.call("agents.attach", sessionId=session_id)
        [waiting] = attached["permissions"]
        await later.call("agents.respond", sessionId=session_id, requestId=waiting["requestId"], optionId="reject")
        assert (await phone.answer(turn))["result"] == {"stopReason": "end_turn"}
        await later.until("idle", session_id)
        assert "Left notes.txt alone." in text_of([p["update"] for p in later.updates(session_id)])

    run(scenario)


def test_cancelling_the_turn_answers_the_waiting_request_as_cancelled(owner_device, project, scripted_agents):
    async def scenario():
        phone = await Socket.open(owner_device)
        session_id = await started(phone, project)
        await phone.call("agents.attach", sessionId=session_id)
        turn = await phone.send("agents.prompt", sessionId=session_id, text="edit the notes")
        asked = await phone.notification("agents.permission", session_id)

        await phone.call("agents.cancel", sessionId=session_id)
        resolved = await phone.notification("agents.resolved", session_id)
        assert (resolved["requestId"], resolved["optionId"], resolved["outcome"]) == (
            asked["requestId"],
            None,
            "cancelled",
        )
        assert (await phone.answer(turn))["result"] == {"stopReason": "cancelled"}
        gone = await phone.error("agents.respond", sessionId=session_id, requestId=asked["requestId"], optionId="allow")
        assert gone["code"] == -32009

    run(scenario)


def test_an_answer_must_be_one_of_the_options_offered(owner_device, project, scripted_agents):
    async def scenario():
        phone = await Socket.open(owner_device)
        session_id = await started(phone, project)
        await phone.call("agents.attach", sessionId=session_id)
        await phone.send("agents.prompt", sessionId=session_id, text="edit the notes")
        asked = await phone.notification("agents.permission", session_id)
        wrong = await phone.error("agents.respond", sessionId=session_id, requestId=asked["requestId"], optionId="yolo")
        unknown = await phone.error("agents.respond", sessionId=session_id, requestId="nope", optionId="allow")
        assert (wrong["code"], unknown["code"]) == (-32004, -32004)
        assert "not one of the options" in wrong["message"]

    run(scenario)


def test_a_device_without_the_terminal_scope_can_read_a_session_but_not_answer_or_prompt(
    owner_device, read_only_device, project, scripted_agents
):
    async def scenario():
        phone, display = await Socket.open(owner_device), await Socket.open(read_only_device)
        session_id = await started(phone, project, "chat")
        assert (await display.call("agents.attach", sessionId=session_id))["session"]["state"] == "idle"
        assert [s["sessionId"] for s in (await display.call("agents.sessions"))["sessions"]] == [session_id]
        for method, params in (
            ("agents.start", {"projectId": project.id, "agentId": "chat"}),
            ("agents.prompt", {"sessionId": session_id, "text": "hi"}),
            ("agents.respond", {"sessionId": session_id, "requestId": "x", "optionId": "allow"}),
            ("agents.cancel", {"sessionId": session_id}),
            ("agents.close", {"sessionId": session_id}),
        ):
            assert (await display.error(method, **params))["code"] == -32001, method

    run(scenario)

"""A phone that sleeps mid-turn: the turn goes on, and reattaching replays everything once, then streams."""

from __future__ import annotations

import pytest

from agents.models import AgentSession
from tests.agents.support import Socket, run, text_of

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = " ".join(f"word{n}" for n in range(30))


def test_a_device_that_reconnects_mid_turn_gets_every_update_once_in_order(owner_device, project, scripted_agents):
    async def scenario():
        phone = await Socket.open(owner_device)
        session_id = (await phone.call("agents.start", projectId=project.id, agentId="chat"))["sessionId"]
        await phone.call("agents.attach", sessionId=session_id)
        await phone.send("agents.prompt", sessionId=session_id, text=PROMPT)
        for _ in range(5):
            await phone.notification("agents.update", session_id)
        await phone.close()  # asleep, mid-stream, its prompt unanswered

        again = await Socket.open(owner_device)
        attached = await again.call("agents.attach", sessionId=session_id)
        assert attached["session"]["state"] == "working"
        await again.until("idle", session_id)
        live = again.updates(session_id)
        partial = await again.call("agents.attach", sessionId=session_id, after=3)
        return session_id, attached, live, partial

    session_id, attached, live, partial = run(scenario)
    seqs = list(range(1, attached["seq"] + 1)) + [params["seq"] for params in live]
    assert seqs == list(range(1, len(seqs) + 1))  # none lost, none twice
    seen = attached["updates"] + [params["update"] for params in live]
    assert text_of(seen) == f"You said: *{PROMPT}*"  # the turn went on without the phone
    recorded = [update for _, update in AgentSession.objects.get(pk=session_id).replay()]
    assert recorded == seen
    assert partial["updates"] == seen[3:] and partial["seq"] == len(seen)


def test_a_session_that_ended_replays_from_the_record(owner_device, project, scripted_agents):
    async def scenario():
        phone = await Socket.open(owner_device)
        session_id = (await phone.call("agents.start", projectId=project.id, agentId="chat"))["sessionId"]
        await phone.call("agents.prompt", sessionId=session_id, text="remember this")
        await phone.call("agents.close", sessionId=session_id)
        other = await Socket.open(owner_device)
        return await other.call("agents.attach", sessionId=session_id), await other.call("agents.sessions")

    attached, listed = run(scenario)
    assert attached["session"]["state"] == "ended" and attached["session"]["endReason"] == "closed"
    assert text_of(attached["updates"], "user_message_chunk") == "remember this"
    assert text_of(attached["updates"]) == "You said: *remember this*"
    assert attached["permissions"] == []
    [session] = listed["sessions"]
    assert (session["title"], session["agentId"], session["state"]) == ("remember this", "chat", "ended")

"""A conversation with an agent: started in the project, streamed to the device, recorded as it goes."""

from __future__ import annotations

import pytest

from agents.models import AgentSession, AgentUpdate
from tests.agents.support import Socket, run, text_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_streams_each_update_as_the_agent_sent_it_and_answers_with_the_stop_reason(
    owner_device, project, scripted_agents
):
    async def scenario():
        phone = await Socket.open(owner_device)
        started = await phone.call("agents.start", projectId=project.id, agentId="chat")
        session_id = started["sessionId"]
        attached = await phone.call("agents.attach", sessionId=session_id)
        assert attached["session"]["state"] == "idle"
        answer = await phone.call("agents.prompt", sessionId=session_id, text="hello there")
        assert answer == {"stopReason": "end_turn"}
        live = phone.updates(session_id)
        updates = attached["updates"] + [params["update"] for params in live]
        assert text_of(updates, "user_message_chunk") == "hello there"
        assert text_of(updates, "agent_thought_chunk") == "Reading the prompt."
        assert text_of(updates) == "You said: *hello there*"
        chunks = [u for u in updates if u["sessionUpdate"] == "agent_message_chunk"]
        assert len(chunks) == 4  # one agents.update per ACP update: never merged
        assert [params["seq"] for params in live] == list(range(attached["seq"] + 1, attached["seq"] + 1 + len(live)))
        await phone.close()
        return session_id

    run(scenario)
    record = AgentSession.objects.get()
    assert record.state == "ended"  # the test's end stopped it, as a server's stop does
    assert record.title == "hello there"
    kinds = list(AgentUpdate.objects.filter(session=record).values_list("payload__sessionUpdate", flat=True))
    assert kinds.count("agent_message_chunk") == 4

"""An agent's life: found, started (or told clearly why not), crashed or closed, and its processes gone with it."""

from __future__ import annotations

import re
import shlex
import signal
import sys
from pathlib import Path

import psutil
import pytest
from channels.db import database_sync_to_async

from agents.models import AgentSession
from tests.agents.support import SCRIPTED_AGENT, Socket, agents_setting, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_lists_the_known_agents_and_the_configured_ones_with_whether_each_is_installed(owner_device, monkeypatch):
    line = f"gemini=gemini --experimental-acp;mine={shlex.join([sys.executable, str(SCRIPTED_AGENT), 'chat'])}"
    monkeypatch.setenv("T3SITE_AGENTS", line + ";gone=/nowhere/agent --stdio")
    monkeypatch.setenv("PATH", "/nowhere")

    async def scenario():
        phone = await Socket.open(owner_device)
        return (await phone.call("agents.list"))["agents"]

    agents = {agent["id"]: agent for agent in run(scenario)}
    assert list(agents) == ["gemini", "claude-code-acp", "codex-acp", "opencode", "goose", "mine", "gone"]
    assert agents["gemini"] == {
        "id": "gemini", "name": "Gemini CLI", "command": "gemini --experimental-acp", "available": False
    }  # fmt: skip
    assert agents["opencode"]["command"] == "opencode acp"
    assert agents["mine"]["available"] is True
    assert agents["gone"] == {"id": "gone", "name": "gone", "command": "/nowhere/agent --stdio", "available": False}


@pytest.mark.parametrize(
    ("agent_id", "code", "says"),
    [
        ("auth", -32603, "auth needs you to sign in first. It offers: Log in with Example."),
        ("future", -32603, "speaks ACP version 2 and t3site speaks version 1: update"),
        ("missing", -32004, "is not installed: `/nowhere/agent` is not on the server's PATH"),
        ("silent", -32603, "stopped before it answered initialize (exit code 7). It said:\ncannot start here"),
    ],
)
def test_an_agent_that_cannot_start_gets_one_message_saying_what_to_do(
    owner_device, project, monkeypatch, agent_id, code, says
):
    silent = shlex.join(["sh", "-c", "echo cannot start here >&2; exit 7"])
    monkeypatch.setenv(
        "T3SITE_AGENTS", agents_setting() + f";missing=/nowhere/agent;silent={silent}"
    )  # fmt: skip

    async def scenario():
        phone = await Socket.open(owner_device)
        return await phone.error("agents.start", projectId=project.id, agentId=agent_id)

    error = run(scenario)
    assert error["code"] == code
    assert says in error["message"], error
    assert not AgentSession.objects.exists()  # nothing was said: no record


def test_signing_in_names_the_methods_the_agent_offers(owner_device, project, scripted_agents):
    async def scenario():
        phone = await Socket.open(owner_device)
        return await phone.error("agents.start", projectId=project.id, agentId="auth")

    error = run(scenario)
    assert error["data"] == {"reason": "auth_required"}
    assert error["message"] == (
        "auth needs you to sign in first. It offers: Log in with Example. Sign in in a terminal on the server "
        "(the Terminals tab works), then start auth here again."
    )


def test_an_agent_that_crashes_mid_turn_ends_the_session_and_says_why(owner_device, project, scripted_agents):
    async def scenario():
        phone = await Socket.open(owner_device)
        session_id = (await phone.call("agents.start", projectId=project.id, agentId="crash"))["sessionId"]
        await phone.call("agents.attach", sessionId=session_id)
        failed = await phone.error("agents.prompt", sessionId=session_id, text="go")
        exited = await phone.notification("agents.exit", session_id)
        again = await phone.error("agents.prompt", sessionId=session_id, text="again")
        return session_id, failed, exited, again

    session_id, failed, exited, again = run(scenario)
    assert failed["code"] == -32009
    assert "crash exited (exit code 3). It said:\nboom: the scripted agent fell over" in failed["message"]
    assert exited["reason"] == failed["message"]
    assert "cannot load a past session: start a new one" in again["message"]
    record = AgentSession.objects.get(pk=session_id)
    assert (record.state, record.end_reason) == ("ended", exited["reason"])
    assert record.updates.filter(payload__content__text="about to crash").exists()


def test_closing_a_session_ends_the_agent_and_everything_it_started(owner_device, project, scripted_agents):
    async def scenario():
        phone = await Socket.open(owner_device)
        session_id = (await phone.call("agents.start", projectId=project.id, agentId="terminal"))["sessionId"]
        await phone.call("agents.attach", sessionId=session_id)
        # The agent's command never ends by itself; closing the session must end it.
        turn = await phone.send("agents.prompt", sessionId=session_id, text="run sleep 300")
        terminal_id = None
        while terminal_id is None:
            update = (await phone.notification("agents.update", session_id))["update"]
            if update["sessionUpdate"] == "tool_call":
                [terminal_id] = [part["terminalId"] for part in update["content"] if part["type"] == "terminal"]
        record = await database_sync_to_async(AgentSession.objects.get)(pk=session_id)
        agent = psutil.Process(record.pid)
        family = [agent, *agent.children(recursive=True)]
        await phone.call("agents.close", sessionId=session_id)
        exited = await phone.notification("agents.exit", session_id)
        turn_answer = await phone.answer(turn)
        terminals = (await phone.call("terminal.list"))["terminals"]
        return exited, turn_answer, terminals, family, terminal_id

    exited, turn_answer, terminals, family, terminal_id = run(scenario)
    assert exited["reason"] == "closed"
    assert turn_answer["error"]["code"] == -32009
    assert all(not process.is_running() or process.status() == psutil.STATUS_ZOMBIE for process in family)
    [terminal] = [t for t in terminals if t["terminalId"] == terminal_id]
    assert terminal["exited"]
    assert AgentSession.objects.get().state == "ended"


def test_an_agent_starts_with_every_signals_default_action_even_from_a_server_under_nohup(
    owner_device, project, scripted_agents
):
    def ignored_signals(pid: int) -> int:
        status = Path(f"/proc/{pid}/status").read_text()
        return int(re.search(r"^SigIgn:\s+([0-9a-f]+)", status, re.MULTILINE).group(1), 16)

    async def scenario():
        phone = await Socket.open(owner_device)
        session_id = (await phone.call("agents.start", projectId=project.id, agentId="chat"))["sessionId"]
        record = await database_sync_to_async(AgentSession.objects.get)(pk=session_id)
        return ignored_signals(record.pid)

    hangup_ignored = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as `nohup manage.py serve &` leaves it
    try:
        ignored = run(scenario)
    finally:
        signal.signal(signal.SIGHUP, hangup_ignored)
    assert not ignored & (1 << (signal.SIGHUP - 1)), f"SigIgn {ignored:x}"

"""t3site as the agent's client: files confined to the project like files.*, terminals that are t3site terminals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agents.models import AgentUpdate
from tests.agents.support import Socket, run, text_of

pytestmark = pytest.mark.django_db(transaction=True)


async def ask(phone: Socket, session_id: str, text: str) -> str:
    """Prompt the agent and return what it answered."""
    assert await phone.call("agents.prompt", sessionId=session_id, text=text) == {"stopReason": "end_turn"}
    await phone.until("idle", session_id)
    return text_of([params["update"] for params in phone.updates(session_id)])


async def files_agent(device, project) -> tuple[Socket, str]:
    phone = await Socket.open(device)
    session_id = (await phone.call("agents.start", projectId=project.id, agentId="files"))["sessionId"]
    await phone.call("agents.attach", sessionId=session_id)
    return phone, session_id


def test_the_agent_reads_and_writes_project_files_and_the_write_is_recorded_as_a_diff(
    owner_device, project, scripted_agents
):
    async def scenario():
        phone, session_id = await files_agent(owner_device, project)
        assert await ask(phone, session_id, "read notes.txt") == "read: old text\n"
        assert await ask(phone, session_id, "write docs/new.md # Hello") == f"wrote {project.path}/docs/new.md"
        assert await ask(phone, session_id, "write notes.txt new text") == f"wrote {project.path}/notes.txt"
        return session_id

    session_id = run(scenario)
    assert (Path(project.path) / "docs" / "new.md").read_text() == "# Hello"
    writes = [
        update.payload
        for update in AgentUpdate.objects.filter(session_id=session_id)
        if update.payload.get("_meta", {}).get("t3site", {}).get("source") == "fs/write_text_file"
    ]
    assert [(w["title"], w["kind"], w["status"]) for w in writes] == [
        ("Wrote docs/new.md", "edit", "completed"),
        ("Wrote notes.txt", "edit", "completed"),
    ]
    assert writes[1]["content"] == [
        {"type": "diff", "path": f"{project.path}/notes.txt", "oldText": "old text\n", "newText": "new text"}
    ]
    assert writes[0]["content"][0]["oldText"] is None


def test_a_write_outside_the_project_is_refused_to_the_agent(owner_device, project, scripted_agents, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, os.path.join(project.path, "escape"))

    async def scenario():
        phone, session_id = await files_agent(owner_device, project)
        answers = [
            await ask(phone, session_id, f"write {outside}/stolen.txt data"),
            await ask(phone, session_id, "write ../stolen.txt data"),
            await ask(phone, session_id, "write escape/stolen.txt data"),
            await ask(phone, session_id, "write .git/hooks/pre-commit data"),
            await ask(phone, session_id, f"read {outside}"),
        ]
        return answers

    absolute, dotdot, symlink, git, read = run(scenario)
    assert absolute.startswith(f"refused: {outside}/stolen.txt is outside the project folder")
    assert dotdot.startswith("refused: ") and "outside the project folder" in dotdot
    assert symlink.startswith("refused: ") and "leads outside the project folder through a symlink" in symlink
    assert git.startswith("refused: ") and "git's own" in git
    assert read.startswith("refused: ")
    assert list(outside.iterdir()) == []
    assert not os.path.exists(os.path.join(project.path, ".git"))


def test_a_command_the_agent_runs_is_a_t3site_terminal_of_the_project(owner_device, project, scripted_agents):
    async def scenario():
        phone = await Socket.open(owner_device)
        session_id = (await phone.call("agents.start", projectId=project.id, agentId="terminal"))["sessionId"]
        await phone.call("agents.attach", sessionId=session_id)
        said = await ask(phone, session_id, "run pwd; echo made by the agent; exit 3")
        terminals = (await phone.call("terminal.list"))["terminals"]
        return said, terminals

    said, terminals = run(scenario)
    [terminal] = terminals
    assert terminal["projectId"] == project.id
    assert terminal["exited"] and terminal["exitCode"] == 3
    assert said == f"terminal {terminal['terminalId']} exit 3: {project.path}\nmade by the agent"

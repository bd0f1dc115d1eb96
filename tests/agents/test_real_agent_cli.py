"""A real agent CLI from the npm registry says hello: Claude Code's ACP adapter, with no account and no network.

`make test` installs it beside the project (`.tools/agent-cli`, the Makefile's AGENT_CLI_PACKAGE). Without a
signed-in account it cannot open a session, so the test checks what t3site can check here: the
``initialize`` handshake (ACP version 1, the agent named), then one clear message for the session it
could not open, with what the agent said.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agents.models import AgentSession
from tests.agents.support import Socket, run
from tests.support.system import require_program

# Where `make test` installs the CLI (the Makefile's AGENT_CLI_PREFIX).
INSTALLED_BIN = Path(__file__).resolve().parents[2] / ".tools" / "agent-cli" / "node_modules" / ".bin"

pytestmark = pytest.mark.django_db(transaction=True)


def test_claude_code_acp_answers_initialize_and_its_missing_sign_in_is_told_in_one_message(
    owner_device, project, monkeypatch
):
    found = require_program(
        "claude-code-acp",
        "npm, then `make test` installs @zed-industries/claude-code-acp",
        str(INSTALLED_BIN / "claude-code-acp"),
    )
    monkeypatch.setenv("PATH", f"{Path(found).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("T3SITE_AGENTS", raising=False)

    async def scenario():
        phone = await Socket.open(owner_device)
        listed = {agent["id"]: agent for agent in (await phone.call("agents.list"))["agents"]}
        assert listed["claude-code-acp"]["available"] is True
        frame = await phone.answer(await phone.send("agents.start", projectId=project.id, agentId="claude-code-acp"))
        if "result" in frame:  # signed in on this machine: a session it is
            await phone.call("agents.close", sessionId=frame["result"]["sessionId"])
        return frame

    frame = run(scenario)
    if "error" in frame:
        message = frame["error"]["message"]
        # Past initialize (no protocol or start failure): the session is what failed, and why is said.
        assert frame["error"]["data"]["reason"] in ("auth_required", "start_failed"), message
        assert "Claude Code" in message
        assert "needs you to sign in" in message or "could not open a session" in message, message
        assert not AgentSession.objects.exists()
    else:
        record = AgentSession.objects.get()
        assert record.agent_info["name"] == "@zed-industries/claude-code-acp"
        assert record.can_load is True

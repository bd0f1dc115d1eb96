"""What the agent tests share: the scripted agents' T3SITE_AGENTS line and a socket that talks to agents."""

from __future__ import annotations

import asyncio
import shlex
import sys
from pathlib import Path

from django.db import connection

from agents import live
from tests.support import sockets
from workspace.terminals import registry

SCRIPTED_AGENT = Path(__file__).resolve().parent / "fixtures" / "scripted_agent.py"
SCENARIOS = ("chat", "tools", "files", "terminal", "crash", "auth", "future")
FRAME_TIMEOUT_SECONDS = 20.0
SCENARIO_TIMEOUT_SECONDS = 60.0


def agents_setting(store: Path | None = None) -> str:
    """Return a T3SITE_AGENTS value naming each scripted scenario (``chat`` keeps its sessions in ``store``)."""
    entries = []
    for scenario in SCENARIOS:
        argv = [sys.executable, str(SCRIPTED_AGENT), scenario]
        if scenario == "chat" and store is not None:
            argv.append(str(store))
        entries.append(f"{scenario}={shlex.join(argv)}")
    return ";".join(entries)


def run(scenario):
    """Run the async function ``scenario``, bounded in time, then stop the agents and terminals it left running."""

    async def bounded():
        try:
            return await asyncio.wait_for(scenario(), SCENARIO_TIMEOUT_SECONDS)
        finally:
            live.stop_all()
            registry.stop_all()

    try:
        return asyncio.run(bounded())
    finally:
        connection.close()


def is_about(frame: dict, method: str, session_id: str) -> bool:
    return frame.get("method") == method and frame["params"].get("sessionId") == session_id


class Socket(sockets.Socket):
    """The /ws client (tests.support.sockets.Socket) with an agent's patience, and what agent tests wait for."""

    frame_timeout = FRAME_TIMEOUT_SECONDS

    async def notification(self, method: str, session_id: str) -> dict:
        """Return the params of the next ``method`` notification about ``session_id``; keep the others."""
        return (await self.next_frame(lambda frame: is_about(frame, method, session_id)))["params"]

    async def until(self, state: str, session_id: str) -> dict:
        """Return the next agents.state notification about ``session_id`` that says ``state``."""
        while (params := await self.notification("agents.state", session_id))["state"] != state:
            continue
        return params

    def updates(self, session_id: str) -> list[dict]:
        """Take the agents.update notifications received so far about ``session_id``, in order."""
        taken = [frame for frame in self.pending if is_about(frame, "agents.update", session_id)]
        self.pending = [frame for frame in self.pending if frame not in taken]
        return [frame["params"] for frame in taken]


def text_of(updates: list[dict], kind: str = "agent_message_chunk") -> str:
    """Return the text the ``kind`` chunks among ``updates`` (ACP update payloads) add up to."""
    return "".join(update["content"].get("text", "") for update in updates if update.get("sessionUpdate") == kind)

"""What the agent tests share: the scripted agents' T3SITE_AGENTS line and a socket that talks to agents."""

from __future__ import annotations

import asyncio
import itertools
import json
import shlex
import sys
import time
from pathlib import Path

from django.db import connection

from agents import live
from tests.support.sockets import bearer, communicator
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


class Socket:
    """A /ws client in-process: a call waits for its answer; notifications met on the way are kept, in order."""

    def __init__(self, comm) -> None:
        self.comm = comm
        self.pending: list[dict] = []
        self._ids = itertools.count(1)
        self._answers: dict[int, dict] = {}

    @classmethod
    async def open(cls, device) -> Socket:
        comm = communicator(headers=bearer(device.token))
        connected, _ = await comm.connect(timeout=FRAME_TIMEOUT_SECONDS)
        assert connected
        return cls(comm)

    async def close(self) -> None:
        await self.comm.disconnect()

    async def send(self, method: str, **params) -> int:
        """Send a request without waiting for its answer; return its id (for ``answer``)."""
        request_id = next(self._ids)
        await self.comm.send_to(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
        return request_id

    async def answer(self, request_id: int) -> dict:
        """Return the answer to request ``request_id``, keeping the notifications that come first."""
        deadline = time.monotonic() + FRAME_TIMEOUT_SECONDS
        while request_id not in self._answers:
            self._take(await self._frame(deadline))
        return self._answers.pop(request_id)

    async def call(self, method: str, **params):
        frame = await self.answer(await self.send(method, **params))
        assert "result" in frame, frame
        return frame["result"]

    async def error(self, method: str, **params) -> dict:
        frame = await self.answer(await self.send(method, **params))
        assert "error" in frame, frame
        return frame["error"]

    async def notification(self, method: str, session_id: str) -> dict:
        """Return the params of the next ``method`` notification about ``session_id``; keep the others."""
        deadline = time.monotonic() + FRAME_TIMEOUT_SECONDS
        while True:
            for index, frame in enumerate(self.pending):
                if is_about(frame, method, session_id):
                    return self.pending.pop(index)["params"]
            self._take(await self._frame(deadline))

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

    async def _frame(self, deadline: float) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no frame before the deadline; kept: {self.pending}")
        return json.loads(await self.comm.receive_from(timeout=remaining))

    def _take(self, frame: dict) -> None:
        if "id" in frame:
            self._answers[frame["id"]] = frame
        else:
            self.pending.append(frame)


def text_of(updates: list[dict], kind: str = "agent_message_chunk") -> str:
    """Return the text the ``kind`` chunks among ``updates`` (ACP update payloads) add up to."""
    return "".join(update["content"].get("text", "") for update in updates if update.get("sessionUpdate") == kind)

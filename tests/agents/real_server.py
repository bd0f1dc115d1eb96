"""A device talking to agents on a real `manage.py serve`, over a real WebSocket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from websockets.sync.client import connect

from tests.agents.support import FRAME_TIMEOUT_SECONDS, agents_setting, is_about
from tests.support.server import RunningServer, command_env, manage, start_server


def serve_with_agents(home: Path, store: Path) -> tuple[dict[str, str], RunningServer]:
    """Start a real server on ``home`` with the scripted agents configured; return its environment and it."""
    env = command_env(home, T3SITE_AGENTS=agents_setting(store))
    return env, start_server(home, env=env)


def add_project(home: Path, env: dict[str, str], folder: Path) -> str:
    added = manage(home, "project", "add", str(folder), env=env)
    assert added.returncode == 0, added.stderr
    listed = manage(home, "project", "list", "--json", env=env)
    return json.loads(listed.stdout)[0]["id"]


class Device:
    """A /ws client: a call waits for its answer; notifications met on the way are kept, in order."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self.pending: list[dict] = []
        self._answers: dict[int, dict] = {}
        self._ids = 0

    @classmethod
    @contextmanager
    def paired(cls, server: RunningServer, env: dict[str, str], *options: str) -> Iterator[Device]:
        """Connect with a session issued by the server's `auth session issue OPTIONS` command."""
        issuing = manage(server.home, "auth", "session", "issue", "--json", *options, env=env)
        assert issuing.returncode == 0, issuing.stderr
        headers = {"Authorization": f"Bearer {json.loads(issuing.stdout)['sessionToken']}"}
        with connect(server.ws_url, additional_headers=headers, max_size=None) as socket:
            yield cls(socket)

    def send(self, method: str, **params) -> int:
        self._ids += 1
        self.socket.send(json.dumps({"jsonrpc": "2.0", "id": self._ids, "method": method, "params": params}))
        return self._ids

    def answer(self, request_id: int) -> dict:
        deadline = time.monotonic() + FRAME_TIMEOUT_SECONDS
        while request_id not in self._answers:
            self._take(deadline)
        return self._answers.pop(request_id)

    def call(self, method: str, **params):
        frame = self.answer(self.send(method, **params))
        assert "result" in frame, frame
        return frame["result"]

    def notification(self, method: str, session_id: str) -> dict:
        deadline = time.monotonic() + FRAME_TIMEOUT_SECONDS
        while True:
            for index, frame in enumerate(self.pending):
                if is_about(frame, method, session_id):
                    return self.pending.pop(index)["params"]
            self._take(deadline)

    def until(self, state: str, session_id: str) -> None:
        while self.notification("agents.state", session_id)["state"] != state:
            continue

    def updates(self, session_id: str) -> list[dict]:
        taken = [frame for frame in self.pending if is_about(frame, "agents.update", session_id)]
        self.pending = [frame for frame in self.pending if frame not in taken]
        return [frame["params"]["update"] for frame in taken]

    def _take(self, deadline: float) -> None:
        frame = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
        if "id" in frame:
            self._answers[frame["id"]] = frame
        else:
            self.pending.append(frame)

"""The callers the hostile suite plays against a real server, and the few steps every module takes.

A caller is what a request presents: nothing, a revoked or expired session, or a live one with
some scopes. They are minted the way a person would get them (a pairing link made through the
API and claimed; `auth session issue` for one that expires), never written into the database.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.e2e import ANSWER_TIMEOUT_SECONDS, ask, pair_bearer  # noqa: F401 (the hostile tests import them from here)
from tests.support.http import Reply, request
from tests.support.server import RunningServer, manage
from tests.support.waiting import eventually
from workspace import rpc

# An expired caller's session lives this long, then the test waits it out.
EXPIRING_TTL = "1s"


@dataclass(frozen=True)
class Caller:
    name: str
    token: str | None = None
    session_id: str | None = None
    scopes: tuple[str, ...] = ()
    live: bool = True

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


NOBODY = Caller("none", live=False)


class Minter:
    """Mint callers on one running server, through an owner session of its own (re-made if revoked)."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self._owner = pair_bearer(server, label="hostile minter")["sessionToken"]

    def _as_owner(self, method: str, path: str, body=None) -> Reply:
        reply = request(method, self.server.base_url + path, body, headers={"Authorization": f"Bearer {self._owner}"})
        if reply.status == 401:  # a test revoked every other session: issue a new owner, as the owner would
            self._owner = self.issue_with_cli("owner")["sessionToken"]
            reply = request(
                method, self.server.base_url + path, body, headers={"Authorization": f"Bearer {self._owner}"}
            )
        return reply

    def issue_with_cli(self, role: str, *scopes: str, ttl: str = "30d") -> dict:
        args = ["auth", "session", "issue", "--role", role, "--ttl", ttl, "--json"]
        for scope in scopes:
            args += ["--scope", scope]
        issued = manage(self.server.home, *args)
        assert issued.returncode == 0, issued.stderr
        return json.loads(issued.stdout)

    def link(self, **body) -> dict:
        """Make a pairing link through the API as the owner; return its answer (token included)."""
        made = self._as_owner("POST", "/api/auth/pairing-links", body)
        assert made.status == 201, made.body
        return made.json

    def live(self, name: str, *scopes: str) -> Caller:
        """Return a session paired through a link that grants ``scopes`` (no scopes: an owner link)."""
        grant = {"role": "client", "scopes": list(scopes)} if scopes else {"role": "owner"}
        link = self.link(**grant, label=f"hostile {name}")
        paired = pair_bearer(self.server, link["token"], label=f"hostile {name}")
        return Caller(name, paired["sessionToken"], paired["sessionId"], tuple(paired["scopes"]))

    def revoked(self) -> Caller:
        caller = self.live("revoked", "read", "write", "terminal")
        revoked = self._as_owner("DELETE", f"/api/auth/sessions/{caller.session_id}")
        assert revoked.status == 200 and revoked.json["revoked"], revoked.body
        return Caller("revoked", caller.token, caller.session_id, caller.scopes, live=False)

    def expired(self) -> Caller:
        issued = self.issue_with_cli("client", "read", "write", "terminal", ttl=EXPIRING_TTL)
        caller = Caller("expired", issued["sessionToken"], issued["sessionId"], tuple(issued["scopes"]), live=False)
        wait_until_expired(self.server, caller)
        return caller

    def caller(self, name: str) -> Caller:
        """Return a fresh caller of the authorization matrix by its name (tests/hostile/matrix.py)."""
        if name == "none":
            return NOBODY
        if name in ("revoked", "expired"):
            return getattr(self, name)()
        scopes = () if name == "owner" else tuple(name.split("+"))
        return self.live(name, *scopes)


def registered_methods() -> dict[str, rpc.Method]:
    """Return every JSON-RPC method the server registers, by name."""
    # The registry has no public listing; reading it puts every new method in the suite the day it lands.
    return dict(rpc._METHODS)


def wait_until_expired(server: RunningServer, caller: Caller, timeout: float = 5) -> None:
    def expired() -> bool:
        answer = request("GET", f"{server.base_url}/api/auth/session", headers=caller.headers).json
        return answer == {"authenticated": False}

    if not eventually(expired, timeout, interval=0.2):
        raise AssertionError(f"the session of {caller.name} did not expire within {timeout}s")


def socket_for(server: RunningServer, caller: Caller, **options):
    """Open /ws as ``caller`` (bearer, no Origin, as a script would)."""
    return connect(server.ws_url, additional_headers=caller.headers, open_timeout=10, max_size=None, **options)


def refusal_of(server: RunningServer, caller: Caller) -> tuple[int, list[str]]:
    """Open /ws as ``caller``, ask server.probe at once; return the close code and every frame answered before it."""
    answered = []
    with socket_for(server, caller) as ws:
        try:
            ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "server.probe", "params": {}}))
            while True:
                answered.append(ws.recv(timeout=ANSWER_TIMEOUT_SECONDS))
        except ConnectionClosed:
            pass
        return ws.close_code, answered


def add_project(ws, folder: Path) -> str:
    """Make ``folder`` a git repository with one commit, add it as a project over ``ws``; return its id."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text("hello\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for step in (["init", "-q"], ["add", "."], ["commit", "-qm", "first"]):
        subprocess.run([*git, *step], cwd=folder, check=True, capture_output=True)
    added = ask(ws, "projects.add", {"path": str(folder)})
    assert "result" in added, added
    return added["result"]["project"]["id"]

"""What is measured side by side: the machine's own limits, the fixed stack's floor, Jupyter Server and t3site.

Each target is one running instance that answers the same questions in its own terms: where its
authenticated trivial GET is, how to open a terminal, how to open an answered WebSocket, which
process holds the sockets, and how to start `another()` fresh instance of itself, timed from spawn
to its first authenticated 200 (`startup_seconds`). The workloads never ask which one it is.

`Floor` is daphne + Channels + Django with nothing else (bench/floor_app.py): the least the stack
issue 12 keeps can do, so the table shows which targets that stack allows at all. `Relay` is two
t3site servers, one saved on the other (issue 13); `Goal` is a figure an issue promises, which the
table marks met or not met, and, for issue 12's, reachable or not on the floor.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import ClientConnection

from bench import httpclient
from bench.processes import (
    Server,
    clean_env,
    free_port,
    spawn,
    wait_for_line,
    wait_until_answered,
    wait_until_listening,
)
from bench.terminals import SHELL, JupyterChannel, PtyChannel, T3siteChannel
from bench.wsclient import ANSWER_TIMEOUT_SECONDS, RpcSocket, open_socket

HARNESS_ROOT = Path(__file__).resolve().parents[1]
MANAGE_TIMEOUT_SECONDS = 120
HOME = "t3site-home"
AGAIN_HOME = "t3site-home-again"
BACKEND_HOME = "t3site-home-backend"


@dataclass(frozen=True)
class Goal:
    """A figure an issue promises, read on the median across rounds: at most ``value``, or at least.

    With ``of_jupyter``, ``value`` is a multiple of Jupyter's median in the same run (issue 12's
    targets are relative: "1.2x Jupyter's"), and the goal is judged on t3site's median against
    that threshold; the floor's median against the same threshold says whether the fixed stack
    can reach it at all.
    """

    value: float
    at_least: bool = False
    of_jupyter: bool = False
    # Whether the floor's figure bounds what any server on the stack can do. A rate or a memory
    # cost does; a p99 does not: it is the floor's own pauses (stock daphne keeps finished
    # requests for its once-a-second check, and nothing is frozen out of the collector's way),
    # which a server can cut, as t3site does.
    floor_bounds: bool = True

    def threshold(self, jupyter: float | None = None) -> float:
        if not self.of_jupyter:
            return self.value
        if jupyter is None:
            raise ValueError("a goal relative to Jupyter needs Jupyter's figure")
        return self.value * jupyter

    def met(self, figure: float, jupyter: float | None = None) -> bool:
        threshold = self.threshold(jupyter)
        return figure >= threshold if self.at_least else figure <= threshold

    def text(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.value:g}{'x Jupyter' if self.of_jupyter else ''}"


# Issue 13: the relay costs at most 1 ms p50 on a server.probe round trip, and keeps at least 70%
# of direct terminal throughput (both in the same round, so the machine's load is the same).
RELAY_ADDED_P50_MS = Goal(1.0)
RELAY_CAT_KEPT = Goal(0.70, at_least=True)
# Issue 12, in the same run: authenticated GET req/s at least 1.2x Jupyter's with p99 at most
# Jupyter's; idle socket memory at most 0.8x Jupyter's (and returned after close, which has no
# figure: the "still grown once closed" row shows it). Judged on t3site, and on the floor
# (`Floor`) for whether the fixed stack allows them.
GET_RPS = Goal(1.2, at_least=True, of_jupyter=True)
GET_P99_MS = Goal(1.0, of_jupyter=True, floor_bounds=False)
IDLE_KIB = Goal(0.8, of_jupyter=True)


def _authenticated(answer: httpclient.Answer) -> bool:
    return answer.status == 200 and answer.json().get("authenticated") is True


def _ok(answer: httpclient.Answer) -> bool:
    return answer.status == 200


@dataclass
class Limits:
    """The machine: its PTY layer, a minimal asyncio HTTP server, a minimal `websockets` server."""

    work: Path
    http: Server
    http_port: int
    ws: Server
    ws_port: int
    startup_seconds: float = 0.0
    name: str = "limit"
    get_path: str = "/"
    headers: dict[str, str] = field(default_factory=dict)
    # Which way in stands for each connect row of the table: the minimal server has one.
    connect_variants: dict[str, str] = field(default_factory=lambda: {"bearer": "plain", "ticket": "plain"})

    @classmethod
    async def start(cls, work: Path) -> Limits:
        http_port, ws_port = free_port(), free_port()
        http = cls._spawn_minimal(work, "http", http_port)
        ws = cls._spawn_minimal(work, "ws", ws_port)
        limits = cls(work, http, http_port, ws, ws_port)
        with _stopped_on_failure(limits):
            limits.startup_seconds = await wait_until_answered(http, http_port, "/", {}, _ok)
            await wait_until_listening(ws, ws_port)
        return limits

    async def another(self) -> Limits:
        return await Limits.start(self.work)

    @staticmethod
    def _spawn_minimal(work: Path, kind: str, port: int) -> Server:
        command = [sys.executable, "-m", "bench.minimal", kind, str(port)]
        return spawn(f"minimal {kind} server", command, HARNESS_ROOT, clean_env(), work / f"minimal-{kind}-{port}.log")

    @property
    def port(self) -> int:
        return self.http_port

    @property
    def socket_server(self) -> Server:
        return self.ws

    @contextlib.asynccontextmanager
    async def terminal(self) -> AsyncIterator[PtyChannel]:
        channel = PtyChannel.start(clean_env())
        try:
            yield channel
        finally:
            await channel.close()

    async def connect(self, variant: str) -> ClientConnection:
        return await _echoed(f"ws://{httpclient.HOST}:{self.ws_port}/")

    def stop(self) -> None:
        self.http.stop()
        self.ws.stop()


@dataclass
class Floor:
    """Stock daphne serving bench/floor_app.py: Channels and Django with no middleware, database or layer.

    One process for both protocols, as t3site is: a constant JSON on any HTTP path, an echo on
    /ws. The GET carries a bearer header of t3site's length, which the floor ignores, so Twisted
    parses requests of the same size.
    """

    work: Path
    server: Server
    port: int
    startup_seconds: float = 0.0
    name: str = "floor"
    get_path: str = "/api/auth/session"
    headers: dict[str, str] = field(default_factory=lambda: {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"})
    connect_variants: dict[str, str] = field(default_factory=lambda: {"bearer": "plain", "ticket": "plain"})

    @classmethod
    async def start(cls, work: Path) -> Floor:
        port = free_port()
        command = [
            sys.executable, "-m", "daphne", "-b", httpclient.HOST, "-p", str(port),
            "-v", "0",  # no access log (daphne writes one line per request to stdout at -v 1)
            "--websocket_timeout", "-1",  # sockets live as long as the client keeps them, as t3site's
            "bench.floor_app:application",
        ]  # fmt: skip
        env = clean_env(DJANGO_SETTINGS_MODULE="bench.floor_settings")
        server = spawn("daphne + Channels floor", command, HARNESS_ROOT, env, work / f"floor-{port}.log")
        floor = cls(work, server, port)
        with _stopped_on_failure(floor):
            floor.startup_seconds = await wait_until_answered(server, port, floor.get_path, floor.headers, _ok)
        return floor

    async def another(self) -> Floor:
        return await Floor.start(self.work)

    @property
    def socket_server(self) -> Server:
        return self.server

    async def connect(self, variant: str) -> ClientConnection:
        return await _echoed(f"ws://{httpclient.HOST}:{self.port}/ws")

    def stop(self) -> None:
        self.server.stop()


@dataclass
class Jupyter:
    """Jupyter Server with terminals, token auth, a throwaway root and throwaway Jupyter folders."""

    work: Path
    server: Server
    port: int
    token: str
    startup_seconds: float = 0.0
    socket_terminal: str = ""
    name: str = "jupyter"
    get_path: str = "/api/status"
    # Jupyter has one way in (its token), read against both of t3site's.
    connect_variants: dict[str, str] = field(default_factory=lambda: {"bearer": "token", "ticket": "token"})

    @classmethod
    async def start(cls, work: Path, label: str = "jupyter", token: str = "") -> Jupyter:
        token = token or secrets.token_urlsafe(32)
        port = free_port()
        server = cls._spawn(work, label, port, token)
        jupyter = cls(work, server, port, token)
        with _stopped_on_failure(jupyter):
            jupyter.startup_seconds = await wait_until_answered(server, port, jupyter.get_path, jupyter.headers, _ok)
            # The connect and idle tests attach to one quiet terminal, as a browser tab re-attaches.
            created = await httpclient.request(port, "POST", "/api/terminals", jupyter.headers)
            jupyter.socket_terminal = created.json()["name"]
        return jupyter

    async def another(self) -> Jupyter:
        """Start another Jupyter Server, with the same token, on folders that every later one reuses."""
        return await Jupyter.start(self.work, "jupyter-again", self.token)

    @staticmethod
    def _spawn(work: Path, label: str, port: int, token: str) -> Server:
        folders = {kind: work / label / kind for kind in ("root", "config", "data", "runtime")}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "jupyter_server", "--no-browser",
            f"--ServerApp.ip={httpclient.HOST}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folders['root']}",
            "--ServerApp.terminals_enabled=True",
            f"--ServerApp.terminado_settings={json.dumps({'shell_command': SHELL})}",
        ]  # fmt: skip
        if os.geteuid() == 0:
            command.append("--allow-root")  # it refuses to start as root otherwise (containers, CI)
        env = clean_env(
            JUPYTER_CONFIG_DIR=str(folders["config"]),
            JUPYTER_DATA_DIR=str(folders["data"]),
            JUPYTER_RUNTIME_DIR=str(folders["runtime"]),
            JUPYTER_PLATFORM_DIRS="1",
        )
        return spawn("Jupyter Server", command, folders["root"], env, work / f"{label}-{port}.log")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    @property
    def socket_server(self) -> Server:
        return self.server

    @contextlib.asynccontextmanager
    async def terminal(self) -> AsyncIterator[JupyterChannel]:
        channel = await JupyterChannel.open(self.port, self.headers)
        try:
            yield channel
        finally:
            await channel.close()

    async def connect(self, variant: str) -> ClientConnection:
        """Open the terminal socket (token in the header); its first message is terminado's ["setup", {}]."""
        url = f"ws://{httpclient.HOST}:{self.port}/terminals/websocket/{self.socket_terminal}"
        websocket = await open_socket(url, self.headers)
        await _first_message(websocket)
        return websocket

    def stop(self) -> None:
        self.server.stop()


@dataclass
class T3site:
    """`manage.py serve` with embedded defaults and a throwaway T3SITE_HOME, paired in bearer mode."""

    work: Path
    root: Path
    server: Server
    port: int
    token: str
    startup_seconds: float = 0.0
    # another() starts on a second home whose session is issued before any server runs on it.
    again_token: str = ""
    name: str = "t3site"
    home: str = HOME
    # The socket terminal() and connect() open: /ws, or a relayed /via/<environmentId>/ws (Relay.relayed).
    ws_path: str = "/ws"
    get_path: str = "/api/auth/session"
    connect_variants: dict[str, str] = field(default_factory=lambda: {"bearer": "bearer", "ticket": "ticket"})

    @classmethod
    async def start(cls, work: Path, root: Path, home: str = HOME) -> T3site:
        """Start `serve` on ``home`` and pair with it; the main home also gets another()'s session ready."""
        port = free_port()
        server = cls._spawn(work, root, home, port)
        t3site = cls(work, root, server, port, token="", home=home)
        with _stopped_on_failure(t3site):
            code = (await wait_for_line(server, r"^Token: (\S+)$")).group(1)
            paired = await httpclient.request(port, "POST", "/api/auth/pair", body={"token": code, "mode": "bearer"})
            if paired.status != 200:
                raise server.failure(f"refused its own pairing token ({paired.status} {paired.body!r})")
            t3site.token = paired.json()["sessionToken"]
            if not _authenticated(await httpclient.request(port, "GET", t3site.get_path, t3site.headers)):
                raise server.failure("does not know the session it just paired")
            if home == HOME:
                issued = await t3site.manage(AGAIN_HOME, "auth", "session", "issue", "--json")
                t3site.again_token = json.loads(issued)["sessionToken"]
        return t3site

    async def another(self) -> T3site:
        """Start another `serve` on the second home (migrated and used before), with its session known."""
        port = free_port()
        server = self._spawn(self.work, self.root, AGAIN_HOME, port)
        again = T3site(
            self.work, self.root, server, port, self.again_token, again_token=self.again_token, home=AGAIN_HOME
        )
        with _stopped_on_failure(again):
            again.startup_seconds = await wait_until_answered(
                server, port, self.get_path, again.headers, _authenticated
            )
        return again

    @staticmethod
    def _spawn(work: Path, root: Path, home: str, port: int) -> Server:
        command = [sys.executable, str(root / "manage.py"), "serve", "--port", str(port), "--no-qr"]
        env = clean_env(T3SITE_HOME=str(work / home))
        return spawn("t3site", command, root, env, work / f"{home}-{port}.log")

    def manage_command(self, *args: str, home: str = "") -> tuple[list[str], dict[str, str]]:
        """Return the command line and environment of `manage.py ARGS` on one of the benchmark's homes (its own)."""
        home = home or self.home
        return [sys.executable, str(self.root / "manage.py"), *args], clean_env(T3SITE_HOME=str(self.work / home))

    async def manage(self, home: str, *args: str) -> str:
        """Run `manage.py ARGS` on one of the benchmark's homes (bounded); return its output."""
        command, env = self.manage_command(*args, home=home)
        process = await asyncio.create_subprocess_exec(
            *command, cwd=self.root, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        try:
            async with asyncio.timeout(MANAGE_TIMEOUT_SECONDS):
                output, errors = await process.communicate()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        if process.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{errors.decode(errors='replace')}")
        return output.decode()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def ws_url(self) -> str:
        return f"ws://{httpclient.HOST}:{self.port}{self.ws_path}"

    @property
    def socket_server(self) -> Server:
        return self.server

    @contextlib.asynccontextmanager
    async def terminal(self) -> AsyncIterator[T3siteChannel]:
        channel = await T3siteChannel.open(self.ws_url, self.headers)
        try:
            yield channel
        finally:
            await channel.close()

    async def connect(self, variant: str) -> ClientConnection:
        """Open `/ws` with the bearer header, or with a ticket fetched first; answered by `server.probe`."""
        if variant == "ticket":
            answer = await httpclient.request(self.port, "POST", "/api/auth/ws-ticket", self.headers)
            rpc = await RpcSocket.open(f"{self.ws_url}?ticket={answer.json()['ticket']}")
        else:
            rpc = await RpcSocket.open(self.ws_url, self.headers)
        await rpc.call("server.probe")
        return rpc.websocket

    def stop(self) -> None:
        self.server.stop()


@dataclass
class Relay:
    """A second t3site (the backend) saved on the first with `environments add`, which holds its credential.

    `direct` is the backend with its own /ws and session; `relayed` is the first server with
    /via/<environmentId>/ws as its socket and the first server's session (a device paired only
    there): the same backend, one hop further. Both ends are t3site, so the figures go in the
    t3site column. The backend is a target of the run of its own, stopped with the others.
    """

    front: T3site
    backend: T3site
    environment_id: str
    name: str = "t3site"

    @classmethod
    async def join(cls, front: T3site, backend: T3site) -> Relay:
        """Save ``backend`` on ``front`` as a person does, and check that /via/ reaches it."""
        link = await httpclient.request(
            backend.port, "POST", "/api/auth/pairing-links", backend.headers, {"ttl": "10m"}
        )
        if link.status != 201:
            raise backend.server.failure(f"made no pairing link ({link.status} {link.body!r})")
        address = f"http://{httpclient.HOST}:{backend.port}"
        await front.manage(front.home, "environments", "add", "--host", address, "--token", link.json()["token"])
        descriptor = await httpclient.request(backend.port, "GET", "/.well-known/t3/environment")
        relay = cls(front, backend, descriptor.json()["environmentId"])
        rpc = await RpcSocket.open(relay.relayed.ws_url, front.headers)
        try:
            reached = (await rpc.call("server.info")).get("environmentId")
        finally:
            await rpc.close()
        if reached != relay.environment_id:
            raise RuntimeError(f"/via/{relay.environment_id}/ws reached {reached!r}, not the backend")
        return relay

    @property
    def direct(self) -> T3site:
        return self.backend

    @property
    def relayed(self) -> T3site:
        return dataclasses.replace(self.front, ws_path=f"/via/{self.environment_id}/ws")


@contextlib.contextmanager
def _stopped_on_failure(target) -> Iterator[None]:
    """Stop what a target started when its start fails half-way (the caller never gets it to stop)."""
    try:
        yield
    except BaseException:
        target.stop()
        raise


async def _echoed(url: str) -> ClientConnection:
    """Open an echoing socket; return it once it has echoed a first frame (the minimal server, the floor)."""
    websocket = await open_socket(url)
    await websocket.send("probe")
    await _first_message(websocket)
    return websocket


async def _first_message(websocket: ClientConnection) -> None:
    async with asyncio.timeout(ANSWER_TIMEOUT_SECONDS):
        await websocket.recv()

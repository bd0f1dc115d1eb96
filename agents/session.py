"""One live agent session: the agent's process, its ACP connection, its record, and the sockets watching it.

t3site is the ACP client (docs/contract.md §9). Every ``session/update`` is taken
from the connection's raw stream (an observer the SDK calls for each incoming
message, in order, before anything else handles it), numbered, relayed to every
attached socket and queued for the record, with no await in between, so a
socket that attaches gets each update once: in the replay or live.

A turn runs in a task of its own and a permission request waits in the SDK's
task, not in a socket's call: a phone that sleeps mid-turn loses nothing, and
the request waits until some device answers it.

The ACP SDK (with pydantic) loads when a session opens, not with this module
(agents.sdk): it is about half of django.setup(), which every start of the server
and every command pays, and most of them never start an agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import TYPE_CHECKING, Protocol

from channels.db import database_sync_to_async

import t3site
from agents import errors
from agents import process as agent_process
from agents.catalog import AgentSpec
from agents.client import T3siteClient, dump
from agents.models import TITLE_MAX_LENGTH, AgentSession, State
from agents.recorder import Recorder
from agents.sdk import acp
from agents.terminals import AgentTerminals
from t3site.ids import new_id
from workspace.outbox import Outbox

if TYPE_CHECKING:
    from acp.connection import StreamEvent

logger = logging.getLogger("t3site.agents")

# initialize and session/new (or session/load): an agent run through npx may first fetch itself.
START_TIMEOUT_SECONDS = 60.0
# After the agent's stdout closed, how long to wait for its exit code to say how it ended.
EXIT_WAIT_SECONDS = 2.0
CLIENT_INFO = {"name": "t3site", "title": "t3site", "version": t3site.__version__}
AUTH_REQUIRED = -32000


class Socket(Protocol):
    outbox: Outbox


def explain(error: acp.RequestError) -> str:
    """Return an agent's JSON-RPC error as a person reads it: its message, and the details it gave."""
    details = error.data.get("details") if isinstance(error.data, dict) else None
    return f"{error} ({details})" if isinstance(details, str) and details else str(error)


class LiveSession:
    def __init__(self, record: AgentSession, spec: AgentSpec, root: str, updates: list[dict]) -> None:
        self.record = record
        self.id = record.id
        self.spec = spec
        self.root = root
        self.updates = updates  # every update so far; update n has sequence number n + 1
        self.sockets: set[Socket] = set()
        self.permissions: dict[str, tuple[dict, asyncio.Future]] = {}
        self.answered: dict[str, str | None] = {}
        self.terminals = AgentTerminals(record.project_id, root)
        self.recorder = Recorder(record)
        self.loading = False
        self.turn: asyncio.Task | None = None
        self.ended = asyncio.get_running_loop().create_future()
        self.process: asyncio.subprocess.Process | None = None
        self.connection: acp.ClientSideConnection | None = None
        self._stderr: agent_process.StderrTail | None = None
        self._closing = False
        self._exit_watch: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()

    @property
    def state(self) -> str:
        return self.record.state

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    # Starting.

    async def open(self, *, load: bool) -> None:
        """Start the agent, initialize, then session/new (or session/load of the recorded session).

        Raise an AgentError saying what to do when the agent cannot start, asks
        to be signed in, or speaks another protocol version; nothing is left running.
        """
        try:
            self.process = await agent_process.spawn(self.id, list(self.spec.argv), self.root)
        except OSError as exc:
            raise errors.StartFailed(f"{self.spec.name} could not be started: {exc.strerror or exc}") from None
        self._stderr = agent_process.StderrTail(self.process.stderr, f"agent {self.spec.id}")
        self.connection = acp.connect_to_agent(
            T3siteClient(self), self.process.stdin, self.process.stdout, observers=[self._observe]
        )
        try:
            async with asyncio.timeout(START_TIMEOUT_SECONDS):
                answer = await self._initialize()
                await self._begin(answer, load)
        except BaseException as exc:
            await self._stop_process()
            self.recorder.take_pending()
            if isinstance(exc, TimeoutError):
                raise errors.StartFailed(
                    f"{self.spec.name} did not answer within {START_TIMEOUT_SECONDS:.0f} s. Check that "
                    f"`{self.spec.as_dict()['command']}` starts its ACP mode (docs/agents.md){self._said()}"
                ) from None
            raise
        self._exit_watch = asyncio.get_running_loop().create_task(self._watch_exit())

    async def _initialize(self):
        capabilities = {"fs": {"readTextFile": True, "writeTextFile": True}, "terminal": True}
        try:
            answer = await self.connection.initialize(
                protocol_version=acp.PROTOCOL_VERSION, client_capabilities=capabilities, client_info=CLIENT_INFO
            )
        except ConnectionError:
            raise errors.StartFailed(await self._exit_story("before it answered initialize")) from None
        except acp.RequestError as exc:
            raise errors.StartFailed(f"{self.spec.name} refused to start: {explain(exc)}{self._said()}") from None
        if answer.protocol_version != acp.PROTOCOL_VERSION:
            raise errors.UnsupportedProtocol(
                f"{self.spec.name} speaks ACP version {answer.protocol_version} and t3site speaks version "
                f"{acp.PROTOCOL_VERSION}: update {self.spec.name} (or t3site) to a release that speaks version "
                f"{acp.PROTOCOL_VERSION}."
            )
        return answer

    async def _begin(self, answer, load: bool) -> None:
        can_load = bool(answer.agent_capabilities and answer.agent_capabilities.load_session)
        try:
            if load:
                self.loading = True  # the agent replays the conversation, which the record already holds
                await self.connection.load_session(cwd=self.root, session_id=self.record.acp_session_id, mcp_servers=[])
                acp_session_id = self.record.acp_session_id
            else:
                acp_session_id = (await self.connection.new_session(cwd=self.root, mcp_servers=[])).session_id
        except ConnectionError:
            raise errors.StartFailed(await self._exit_story("before its session was ready")) from None
        except acp.RequestError as exc:
            if exc.code == AUTH_REQUIRED:
                raise errors.AuthRequired(self._sign_in_advice(answer)) from None
            raise errors.StartFailed(
                f"{self.spec.name} could not open a session: {explain(exc)}{self._said()}"
            ) from None
        finally:
            self.loading = False
        info = dump(answer.agent_info) if answer.agent_info else {}
        await self._change(
            state=State.IDLE, acp_session_id=acp_session_id, can_load=can_load, agent_info=info,
            pid=self.process.pid, server_pid=os.getpid(), end_reason="", ended_at=None,
        )  # fmt: skip

    def _sign_in_advice(self, answer) -> str:
        offered = []
        for method in map(dump, answer.auth_methods or []):
            described = f" ({method['description']})" if method.get("description") else ""
            offered.append(f"{method.get('name', method.get('id', '?'))}{described}")
        how = f"It offers: {'; '.join(offered)}." if offered else "docs/agents.md says how for each agent."
        return (
            f"{self.spec.name} needs you to sign in first. {how} Sign in in a terminal on the server (the "
            f"Terminals tab works), then start {self.spec.name} here again."
        )

    async def _exit_story(self, when: str) -> str:
        code = None
        with contextlib.suppress(TimeoutError):
            code = await asyncio.wait_for(self.process.wait(), EXIT_WAIT_SECONDS)
        how = f" (exit code {code})" if code is not None else ""
        return f"{self.spec.name} stopped {when}{how}{self._said()}"

    def _said(self) -> str:
        said = self._stderr.text() if self._stderr else ""
        return f". It said:\n{said}" if said else "."

    # The stream.

    def _observe(self, event: StreamEvent) -> None:
        message = event.message
        if event.direction != acp.connection.StreamDirection.INCOMING or message.get("method") != "session/update":
            return
        # One connection holds one session, so its updates are this session's, even those sent before
        # session/new's answer told us the agent's id for it.
        update = (message.get("params") or {}).get("update")
        if self.loading or not isinstance(update, dict):
            return
        self.add_update(update)
        title = update.get("title") if update.get("sessionUpdate") == "session_info_update" else None
        if isinstance(title, str) and title.strip():
            task = asyncio.get_running_loop().create_task(
                self._change(title=" ".join(title.split())[:TITLE_MAX_LENGTH])
            )
            self._background.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self._background.discard)

    def add_update(self, update: dict) -> None:
        """Number ``update``, relay it to every attached socket and queue it for the record (no await: see attach)."""
        self.updates.append(update)
        seq = len(self.updates)
        for socket in self.sockets:
            socket.outbox.notify("agents.update", {"sessionId": self.id, "update": update, "seq": seq})
        self.recorder.put(seq, update)

    def attach(self, socket: Socket, after: int) -> dict:
        """Return the updates after ``after`` and the waiting permission requests; live ones follow."""
        self.sockets.add(socket)
        return {
            "updates": self.updates[after:],
            "seq": len(self.updates),
            "permissions": [params for params, _ in self.permissions.values()],
        }

    def detach(self, socket: Socket) -> None:
        self.sockets.discard(socket)

    def tell(self, method: str, params: dict) -> None:
        for socket in self.sockets:
            socket.outbox.notify(method, {"sessionId": self.id, **params})

    # A turn.

    async def prompt(self, text: str) -> str:
        """Send the user's ``text`` and return the turn's stop reason once it ends."""
        if self._closing:
            raise errors.SessionEnded("this session has ended")
        if self.turn is not None:
            raise errors.Busy("the agent is still working on the last prompt: wait for it, or cancel it")
        # The title is the first prompt, unless the agent names the session (session_info_update).
        title = self.record.title or " ".join(text.split())[:TITLE_MAX_LENGTH]
        # The prompt is part of the conversation: every device (and the record) shows what was asked.
        self.add_update(
            {
                "sessionUpdate": "user_message_chunk",
                "content": {"type": "text", "text": text},
                "_meta": {"t3site": {"source": "agents.prompt"}},
            }
        )
        self.turn = asyncio.get_running_loop().create_task(self._run_turn(text, title))
        return await asyncio.shield(self.turn)

    async def _run_turn(self, text: str, title: str) -> str:
        await self._change(state=State.WORKING, stop_reason="", title=title)
        try:
            answer = await self.connection.prompt(session_id=self.record.acp_session_id, prompt=[acp.text_block(text)])
        except ConnectionError:
            raise errors.SessionEnded(await asyncio.shield(self.ended)) from None
        except acp.RequestError as exc:
            await self._change(state=State.IDLE)
            raise errors.AgentError(f"{self.spec.name} could not answer: {explain(exc)}") from None
        finally:
            self.turn = None
        await self._change(state=State.IDLE, stop_reason=answer.stop_reason)
        return answer.stop_reason

    async def cancel(self) -> None:
        """Cancel the turn (session/cancel) and answer every waiting permission request as cancelled."""
        for request_id in list(self.permissions):
            self._resolve(request_id, None)
        if self.turn is not None:
            with contextlib.suppress(ConnectionError):
                await self.connection.cancel(session_id=self.record.acp_session_id)

    # Permission.

    async def ask_permission(self, tool_call: dict, options: list[dict]) -> str | None:
        """Ask every attached device; return the chosen option's id, or None when the turn was cancelled."""
        request_id = new_id()
        params = {"sessionId": self.id, "requestId": request_id, "toolCall": tool_call, "options": options}
        answer = asyncio.get_running_loop().create_future()
        self.permissions[request_id] = (params, answer)
        for socket in self.sockets:
            socket.outbox.notify("agents.permission", params)
        return await answer

    def respond(self, request_id: str, option_id: str) -> None:
        """Answer a waiting permission request with ``option_id``; the first answer wins."""
        if request_id in self.answered:
            raise errors.AlreadyAnswered("this request was already answered (perhaps on another device)")
        if request_id not in self.permissions:
            raise errors.UnknownRequest(f"no permission request {request_id!r} in this session")
        params, _ = self.permissions[request_id]
        if option_id not in {option.get("optionId") for option in params["options"]}:
            raise errors.UnknownRequest(f"{option_id!r} is not one of the options offered")
        self._resolve(request_id, option_id)

    def _resolve(self, request_id: str, option_id: str | None) -> None:
        _, answer = self.permissions.pop(request_id)
        self.answered[request_id] = option_id
        if not answer.done():
            answer.set_result(option_id)
        self.tell(
            "agents.resolved",
            {"requestId": request_id, "optionId": option_id, "outcome": "selected" if option_id else "cancelled"},
        )

    # The end.

    async def close(self, reason: str = "closed") -> None:
        """End the agent process and everything it started; every attached socket gets agents.exit."""
        if self._closing:
            await asyncio.shield(self.ended)
            return
        self._closing = True
        await self._stop_process()
        await self._end(reason)

    async def _watch_exit(self) -> None:
        code = await self.process.wait()
        if self._closing:
            return
        self._closing = True
        await self._stop_process()
        await self._end(f"{self.spec.name} exited (exit code {code}){self._said()}")

    async def _stop_process(self) -> None:
        for request_id in list(self.permissions):
            self._resolve(request_id, None)
        await self.terminals.release_all()
        if self.connection is not None:
            await self.connection.close()
        if self.process is None:
            return
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        await asyncio.to_thread(agent_process.stop, self.process.pid, self.id)
        await self.process.wait()
        if self._stderr is not None:
            await self._stderr.task

    async def _end(self, reason: str) -> None:
        await self.recorder.stop()
        await self._change(state=State.ENDED, end_reason=reason)
        self.tell("agents.exit", {"reason": reason})
        if not self.ended.done():
            self.ended.set_result(reason)

    def abandon(self) -> list[tuple[int, dict]]:
        """Let the agent go without a word (the server is stopping and stops it); return the updates not recorded."""
        self._closing = True
        if self.connection is not None:  # its tasks end while the loop still turns, or with it
            task = asyncio.get_running_loop().create_task(self.connection.close())
            self._background.add(task)
        return self.recorder.take_pending()

    # The record.

    async def _change(self, **fields) -> None:
        await database_sync_to_async(self.record.change)(**fields)
        if "state" in fields or "title" in fields:
            self.tell(
                "agents.state",
                {"state": self.record.state, "title": self.record.title, "stopReason": self.record.stop_reason or None},
            )

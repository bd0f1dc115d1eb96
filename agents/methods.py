"""agents.* methods (docs/contract.md §9): coding agents over ACP, from any paired device.

Starting, prompting and answering an agent need ``terminal``: an agent runs
programs as the server's user. Reading what agents did needs ``read``.

A socket attached to a session gets ``agents.update {"sessionId","update","seq"}``
for each ACP update, ``agents.permission``, ``agents.resolved``,
``agents.state {"sessionId","state","title","stopReason"}`` and ``agents.exit``,
until it goes away.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from channels.db import database_sync_to_async
from django.core.exceptions import ImproperlyConfigured

from agents import catalog, errors, live
from agents.models import AgentSession
from agents.session import LiveSession
from pairing.scopes import READ, TERMINAL
from workspace.methods.projects import project_for, root_for
from workspace.rpc import CONFLICT, INTERNAL_ERROR, INVALID_PARAMS, NOT_FOUND, Call, RpcError, method

_CODES = {
    errors.NotInstalled: NOT_FOUND,
    errors.UnknownRequest: NOT_FOUND,
    errors.Busy: CONFLICT,
    errors.AlreadyAnswered: CONFLICT,
    errors.SessionEnded: CONFLICT,
}


@contextmanager
def agent_errors() -> Iterator[None]:
    """Raise the JSON-RPC error for an AgentError raised inside the block; its message says what to do."""
    try:
        yield
    except errors.AgentError as exc:
        code = _CODES.get(type(exc), INTERNAL_ERROR)
        raise RpcError(code, exc.message, {"reason": exc.code}) from None
    except ImproperlyConfigured as exc:  # T3SITE_AGENTS (agents.catalog)
        raise RpcError(INVALID_PARAMS, str(exc)) from None


async def _record(call: Call) -> AgentSession:
    session_id = call.param("sessionId", str)
    record = await database_sync_to_async(AgentSession.objects.filter(pk=session_id).first)()
    if record is None:
        raise RpcError(NOT_FOUND, f"no agent session {session_id!r}")
    return record


async def _live(call: Call) -> LiveSession:
    session = live.get(call.param("sessionId", str))
    if session is None:
        record = await _record(call)
        raise RpcError(CONFLICT, f"this session has {record.state}: start a new one", {"reason": "ended"})
    return session


@method("agents.list", READ)
async def list_agents(call: Call) -> dict:
    with agent_errors():
        return {"agents": [spec.as_dict() for spec in catalog.configured()]}


@method("agents.start", TERMINAL)
async def start(call: Call) -> dict:
    """Start an agent in the project's folder; answer once it has a session (initialize, session/new)."""
    root = await root_for(call)
    project = await project_for(call)
    agent_id = call.param("agentId", str)
    with agent_errors():
        spec = catalog.find(agent_id)
        if spec is None:
            raise RpcError(NOT_FOUND, f"no agent {agent_id!r}: agents.list names them")
        session = await live.start(project, root, spec)
    return {"sessionId": session.id, "session": session.record.as_dict()}


@method("agents.sessions", READ)
async def sessions(call: Call) -> dict:
    project_id = call.param("projectId", str, required=False)
    return {"sessions": await database_sync_to_async(AgentSession.objects.listing)(project_id)}


@method("agents.attach", READ)
async def attach(call: Call) -> dict:
    """Return every update after ``after`` (default: all of them); live notifications follow."""
    after = call.param("after", int, required=False, default=0)
    if after < 0:
        raise RpcError(INVALID_PARAMS, "after cannot be negative")
    call.connection.on_disconnect(live.detach_socket)
    session = live.get(call.param("sessionId", str))
    if session is None:
        record = await _record(call)
        recorded = await database_sync_to_async(record.replay)(after)
        # It may have come back during that read; then memory holds everything (and the socket joins it).
        session = live.get(record.id)
        if session is None:
            live.watch(record.id, call.connection)
            seq = recorded[-1][0] if recorded else after
            updates = [update for _, update in recorded]
            return {"updates": updates, "seq": seq, "permissions": [], "session": record.as_dict()}
    return {**session.attach(call.connection, after), "session": session.record.as_dict()}


@method("agents.prompt", TERMINAL)
async def prompt(call: Call) -> dict:
    """Send the user's text; answer with the stop reason when the turn ends. An ended session is loaded first."""
    text = call.param("text", str)
    if not text.strip():
        raise RpcError(INVALID_PARAMS, "say something: the prompt is empty")
    session = live.get(call.param("sessionId", str))
    with agent_errors():
        if session is None:
            session = await live.reopen(await _record(call))
        return {"stopReason": await session.prompt(text)}


@method("agents.respond", TERMINAL)
async def respond(call: Call) -> dict:
    session = await _live(call)
    with agent_errors():
        session.respond(call.param("requestId", str), call.param("optionId", str))
    return {"ok": True}


@method("agents.cancel", TERMINAL)
async def cancel(call: Call) -> dict:
    session = await _live(call)
    await session.cancel()
    return {"ok": True}


@method("agents.close", TERMINAL)
async def close(call: Call) -> dict:
    session = live.get(call.param("sessionId", str))
    if session is None:
        await _record(call)  # an ended session is already closed; an unknown one is not found
        return {"ok": True}
    await session.close()
    return {"ok": True}

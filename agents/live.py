"""The live agent sessions of this server process, and the sockets that watch sessions.

Like terminals, live sessions live in the server's memory, on its event loop;
their records (agents.models) outlive them. A socket attached to a session that
is not live (ended, or from before a restart) keeps watching it: should the
session come back (``session/load``), the socket is attached to it again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading

from channels.db import database_sync_to_async
from django.db import connections

from agents import catalog, errors
from agents import process as agent_process
from agents.catalog import AgentSpec
from agents.models import AgentSession, State
from agents.session import LiveSession, Socket
from t3site import lifecycle
from workspace import protected
from workspace.models import Project
from workspace.paths import root_refusal

logger = logging.getLogger("t3site.agents")

# Bounds the database write of a stopping server, which runs in a thread while the loop waits.
SHUTDOWN_RECORD_TIMEOUT_SECONDS = 5.0

_sessions: dict[str, LiveSession] = {}
_opening: dict[str, asyncio.Task] = {}
_watchers: dict[str, set[Socket]] = {}


def get(session_id: str) -> LiveSession | None:
    """Return the live session ``session_id`` of this process, or None."""
    return _sessions.get(session_id)


async def start(project: Project, root: str, spec: AgentSpec) -> LiveSession:
    """Start ``spec`` in the project folder ``root`` and return its session, ready for a prompt.

    Raise an AgentError that says what to do when it cannot start; then no record is kept.
    """
    if spec.path is None:
        raise errors.NotInstalled(
            f"{spec.name} is not installed: `{spec.argv[0]}` is not on the server's PATH. Install it (docs/agents.md "
            f"says how) or point T3SITE_AGENTS at it, then restart the server."
        )
    record = await database_sync_to_async(AgentSession.objects.create)(
        project=project, agent_id=spec.id, agent_name=spec.name, command=list(spec.argv), cwd=root,
        server_pid=os.getpid(),
    )  # fmt: skip
    try:
        return await _open(LiveSession(record, spec, root, updates=[]), load=False)
    except BaseException:
        await asyncio.shield(database_sync_to_async(record.delete)())  # nothing was said: nothing to keep
        raise


async def reopen(record: AgentSession) -> LiveSession:
    """Bring an ended session back with session/load, for an agent that can; return it once it is ready."""
    if record.id in _opening:
        return await asyncio.shield(_opening[record.id])
    if record.id in _sessions:
        return _sessions[record.id]
    if not record.can_load:
        raise errors.SessionEnded(
            f"this session has ended and {record.agent_name} cannot load a past session: start a new one"
        )
    if record.project_id is None or root_refusal(os.path.realpath(record.cwd), protected.paths()) is not None:
        raise errors.SessionEnded("this session's project was removed or can no longer be used: start a new one")
    spec = catalog.find(record.agent_id) or AgentSpec(record.agent_id, record.agent_name, tuple(record.command))
    if spec.path is None:
        raise errors.NotInstalled(f"{spec.name} is no longer installed (`{spec.argv[0]}` is not on the PATH)")
    recorded = await database_sync_to_async(record.replay)()
    session = LiveSession(record, spec, record.cwd, updates=[payload for _, payload in recorded])
    return await _open(session, load=True)


async def _open(session: LiveSession, *, load: bool) -> LiveSession:
    # Its own task: a caller whose socket goes away does not stop an agent half-way through starting.
    task = asyncio.get_running_loop().create_task(_opened(session, load))
    _opening[session.id] = task
    task.add_done_callback(lambda _: _opening.pop(session.id, None))
    return await asyncio.shield(task)


async def _opened(session: LiveSession, load: bool) -> LiveSession:
    _sessions[session.id] = session
    try:
        await session.open(load=load)
    except BaseException:
        _sessions.pop(session.id, None)
        raise
    session.sockets |= _watchers.pop(session.id, set())
    session.ended.add_done_callback(lambda _: _forget(session))
    return session


def _forget(session: LiveSession) -> None:
    # Whoever watched it goes on watching the record (and sees it again if it comes back).
    _sessions.pop(session.id, None)
    if session.sockets:
        _watchers.setdefault(session.id, set()).update(session.sockets)
        session.sockets.clear()


def watch(session_id: str, socket: Socket) -> None:
    """Attach ``socket`` to a session that is not live now, should it come back."""
    _watchers.setdefault(session_id, set()).add(socket)


def detach_socket(socket: Socket) -> None:
    """Stop sending to a socket that went away; the sessions go on."""
    for session in list(_sessions.values()):
        session.detach(socket)
    for session_id, sockets in list(_watchers.items()):
        sockets.discard(socket)
        if not sockets:
            _watchers.pop(session_id, None)


def stop_all() -> None:
    """Stop every agent of this process now, blocking up to a short grace (the server is stopping).

    SIGHUP to every agent at once, SIGKILL to what is left after the grace; the
    updates not written yet and the sessions' end are then recorded. Sockets are
    going away: no notifications.
    """
    sessions = list(_sessions.values())
    agent_process.stop_many([(session.pid, session.id) for session in sessions if session.pid is not None])
    pending = {session.record: session.abandon() for session in sessions}
    _sessions.clear()
    if pending:
        # Called on the event loop, where Django refuses database calls; a thread may make them.
        writer = threading.Thread(target=_record_the_end, args=(pending,), name="agent-records")
        writer.start()
        writer.join(SHUTDOWN_RECORD_TIMEOUT_SECONDS)


def _record_the_end(pending: dict[AgentSession, list[tuple[int, dict]]]) -> None:
    try:
        for record, updates in pending.items():
            if updates:
                record.record(updates)
            record.change(state=State.ENDED, end_reason="the server stopped")
    except Exception:
        logger.exception("could not record the end of the agent sessions of a stopping server")
    finally:
        connections.close_all()


def end_leftovers() -> None:
    """End what the agents of a server that died (kill -9) on this T3SITE_HOME left running. Runs in a thread."""
    try:
        ended = AgentSession.objects.end_leftovers()
        agent_process.stop_leftovers(ended)
        if ended:
            logger.info("ended %d agent sessions of a server that stopped without closing them", len(ended))
    except Exception:
        logger.exception("could not end the agent sessions of an earlier server")
    finally:
        connections.close_all()


def _end_leftovers_with_the_server(**kwargs) -> None:
    threading.Thread(target=end_leftovers, name="agent-leftovers", daemon=True).start()


def _stop_with_the_server(**kwargs) -> None:
    stop_all()


def connect_signals() -> None:
    """Make the `serve` process end a dead server's agents as it starts, and its own as it stops."""
    lifecycle.server_started.connect(_end_leftovers_with_the_server, dispatch_uid="agents.leftovers")
    lifecycle.server_stopping.connect(_stop_with_the_server, dispatch_uid="agents.stop")

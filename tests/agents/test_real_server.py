"""Agents through a real `manage.py serve`: two devices share a permission request; the record survives a restart."""

from __future__ import annotations

import time

import psutil

from tests.agents.real_server import Device, add_project, serve_with_agents
from tests.agents.support import SCRIPTED_AGENT, text_of

GONE_TIMEOUT_SECONDS = 10.0


def agents_of(server) -> list[psutil.Process]:
    """Return the server's scripted agents still running."""
    children = psutil.Process(server.process.pid).children(recursive=True)
    return [child for child in children if str(SCRIPTED_AGENT) in " ".join(child.cmdline())]


def gone(processes: list[psutil.Process]) -> bool:
    deadline = time.monotonic() + GONE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in processes):
            return True
        time.sleep(0.05)
    return False


def test_a_phone_and_a_tablet_share_a_permission_request_and_the_tablet_answers(tmp_path):
    folder = tmp_path / "app"
    folder.mkdir()
    env, server = serve_with_agents(tmp_path / "home", tmp_path)
    try:
        project_id = add_project(server.home, env, folder)
        with (
            Device.paired(server, env, "--label", "phone") as phone,
            Device.paired(server, env, "--label", "tablet", "--role", "client") as tablet,
        ):
            session_id = phone.call("agents.start", projectId=project_id, agentId="tools")["sessionId"]
            for device in (phone, tablet):
                device.call("agents.attach", sessionId=session_id)
            turn = phone.send("agents.prompt", sessionId=session_id, text="edit the notes")
            asked = phone.notification("agents.permission", session_id)
            assert tablet.notification("agents.permission", session_id) == asked

            tablet.call("agents.respond", sessionId=session_id, requestId=asked["requestId"], optionId="allow")
            resolved = phone.notification("agents.resolved", session_id)
            assert (resolved["requestId"], resolved["optionId"]) == (asked["requestId"], "allow")
            assert phone.answer(turn)["result"] == {"stopReason": "end_turn"}
            tablet.until("idle", session_id)
            assert "Done: edited notes.txt." in text_of(tablet.updates(session_id))
    finally:
        server.stop()


def test_the_record_survives_a_restart_and_the_agent_then_loads_the_session_again(tmp_path):
    folder = tmp_path / "app"
    folder.mkdir()
    store = tmp_path / "store"
    store.mkdir()
    env, server = serve_with_agents(tmp_path / "home", store)
    try:
        project_id = add_project(server.home, env, folder)
        with Device.paired(server, env) as phone:
            session_id = phone.call("agents.start", projectId=project_id, agentId="chat")["sessionId"]
            assert (
                phone.call("agents.prompt", sessionId=session_id, text="remember the milk")["stopReason"] == "end_turn"
            )
            running = agents_of(server)
            assert len(running) == 1
    finally:
        assert server.stop() == 0
    assert gone(running), "the agent outlived the server"

    env, server = serve_with_agents(server.home, store)
    try:
        with Device.paired(server, env) as phone:
            [listed] = phone.call("agents.sessions", projectId=project_id)["sessions"]
            assert (listed["sessionId"], listed["state"], listed["endReason"]) == (
                session_id,
                "ended",
                "the server stopped",
            )
            attached = phone.call("agents.attach", sessionId=session_id)
            assert text_of(attached["updates"], "user_message_chunk") == "remember the milk"
            assert text_of(attached["updates"]) == "You said: *remember the milk*"

            # The scripted chat agent supports session/load: prompting the ended session loads it again.
            assert phone.call("agents.prompt", sessionId=session_id, text="and eggs")["stopReason"] == "end_turn"
            phone.until("idle", session_id)
            live = phone.updates(session_id)
            assert text_of(live) == "You said: *and eggs*"  # the agent's replay of the past is not recorded twice
            everything = phone.call("agents.attach", sessionId=session_id)["updates"]
            assert text_of(everything, "user_message_chunk") == "remember the milkand eggs"
            assert text_of(everything) == "You said: *remember the milk*You said: *and eggs*"
    finally:
        server.stop()

"""projects.* over /ws, and projects.changed reaching every open socket."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess

import pytest
from channels.db import database_sync_to_async

from t3site import clock
from tests.support.sockets import call, open_socket, run
from tests.support.terminals import live_terminal, session_group_leader
from workspace.models import Project, TerminalRecord

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFICATION_TIMEOUT_SECONDS = 10  # the watcher looks once a second; a loaded CI machine can be slow


async def ok(comm, method: str, params: dict | None = None):
    """Call ``method`` and return its result, failing on an error."""
    frame = await call(comm, method, params)
    assert "result" in frame, frame
    return frame["result"]


async def fails(comm, method: str, params: dict | None = None) -> dict:
    """Call ``method`` and return its error, failing on a result."""
    frame = await call(comm, method, params)
    assert "error" in frame, frame
    return frame["error"]


async def notification(comm, method: str, timeout: float = NOTIFICATION_TIMEOUT_SECONDS) -> dict:
    """Return the params of the next ``method`` notification, skipping other frames."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        frame = json.loads(await comm.receive_from(max(0.1, deadline - loop.time())))
        if frame.get("method") == method:
            return frame["params"]
    raise AssertionError(f"no {method} notification within {timeout} s")


def test_it_lists_no_projects_on_a_fresh_server(owner_device):
    async def scenario():
        comm = await open_socket(owner_device)
        assert await ok(comm, "projects.list") == {"projects": []}
        await comm.disconnect()

    run(scenario())


def test_it_adds_a_folder_titled_after_its_name(owner_device, tmp_path):
    folder = tmp_path / "my-app"
    folder.mkdir()
    (folder / ".git").mkdir()

    async def scenario():
        comm = await open_socket(owner_device)
        project = (await ok(comm, "projects.add", {"path": str(folder)}))["project"]
        assert project["title"] == "my-app"
        assert project["path"] == str(folder.resolve())
        assert project["isGitRepo"] is True
        assert project["createdAt"].endswith("Z")
        assert (await ok(comm, "projects.list"))["projects"] == [project]
        await comm.disconnect()

    run(scenario())


def test_it_refuses_a_missing_folder_a_file_and_a_duplicate(owner_device, tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    existing = Project.objects.add(str(tmp_path))

    async def scenario():
        comm = await open_socket(owner_device)
        missing = await fails(comm, "projects.add", {"path": str(tmp_path / "nope")})
        assert missing["code"] == -32004 and "does not exist" in missing["message"]
        a_file = await fails(comm, "projects.add", {"path": str(tmp_path / "notes.txt")})
        assert a_file["code"] == -32602 and "not a folder" in a_file["message"]
        duplicate = await fails(comm, "projects.add", {"path": str(tmp_path) + "/."})
        assert duplicate["code"] == -32009
        assert duplicate["data"] == {"projectId": existing.id}
        await comm.disconnect()

    run(scenario())


def test_it_renames_a_project_and_refuses_an_empty_title(owner_device, tmp_path):
    project = Project.objects.add(str(tmp_path), "Old")

    async def scenario():
        comm = await open_socket(owner_device)
        renamed = (await ok(comm, "projects.rename", {"id": project.id, "title": "  New   name "}))["project"]
        assert renamed["title"] == "New name"
        empty = await fails(comm, "projects.rename", {"id": project.id, "title": "   "})
        assert empty["code"] == -32602
        unknown = await fails(comm, "projects.rename", {"id": "0000", "title": "x"})
        assert unknown["code"] == -32004
        await comm.disconnect()

    run(scenario())
    assert Project.objects.get(pk=project.id).title == "New name"


def test_it_removes_a_project_but_leaves_its_folder(owner_device, tmp_path):
    project = Project.objects.add(str(tmp_path))

    async def scenario():
        comm = await open_socket(owner_device)
        assert await ok(comm, "projects.remove", {"id": project.id}) == {"removed": True, "closedTerminals": 0}
        await comm.disconnect()

    run(scenario())
    assert not Project.objects.exists()
    assert tmp_path.is_dir()


def test_it_refuses_to_remove_a_project_with_a_running_terminal_unless_forced(owner_device, tmp_path):
    project = Project.objects.add(str(tmp_path))
    process = session_group_leader()
    record = live_terminal(project, process)
    try:

        async def scenario():
            comm = await open_socket(owner_device)
            refused = await fails(comm, "projects.remove", {"id": project.id})
            assert refused["code"] == -32009 and refused["data"] == {"terminals": 1}
            forced = await ok(comm, "projects.remove", {"id": project.id, "force": True})
            assert forced == {"removed": True, "closedTerminals": 1}
            await comm.disconnect()

        run(scenario())
        assert process.wait(timeout=5) == -signal.SIGHUP
    finally:
        process.kill()
    record.refresh_from_db()
    assert record.exited_at is not None and record.project is None


def test_removing_a_project_by_force_closes_its_real_terminal(owner_device, tmp_path):
    project = Project.objects.add(str(tmp_path))

    async def scenario():
        comm = await open_socket(owner_device)
        try:
            params = {"projectId": project.id, "cols": 80, "rows": 24, "command": ["sleep", "60"]}
            terminal_id = (await ok(comm, "terminal.open", params))["terminalId"]
            refused = await fails(comm, "projects.remove", {"id": project.id})
            assert refused["data"] == {"terminals": 1}
            forced = await ok(comm, "projects.remove", {"id": project.id, "force": True})
            assert forced["closedTerminals"] == 1
            exited = await notification(comm, "terminal.exit")
            assert exited["terminalId"] == terminal_id
        finally:
            await comm.disconnect()

    run(scenario())


def test_a_terminal_whose_server_is_gone_does_not_block_removal(owner_device, tmp_path):
    project = Project.objects.add(str(tmp_path))
    gone = subprocess.Popen(["true"])
    gone.wait()
    TerminalRecord.objects.create(id="stale", project=project, cwd=project.path, server_pid=gone.pid)
    assert project.remove() == 0


def test_a_device_without_the_terminal_scope_can_rename_but_not_add_or_remove_projects(read_write_device, tmp_path):
    # A project is what every read and write device reaches: choosing one needs terminal.
    (tmp_path / "existing").mkdir()
    (tmp_path / "another").mkdir()
    project = Project.objects.add(str(tmp_path / "existing"), "Before")

    async def scenario():
        comm = await open_socket(read_write_device)
        assert [p["id"] for p in (await ok(comm, "projects.list"))["projects"]] == [project.id]
        assert (await ok(comm, "projects.rename", {"id": project.id, "title": "After"}))["project"]["title"] == "After"
        added = await fails(comm, "projects.add", {"path": str(tmp_path / "another")})
        removed = await fails(comm, "projects.remove", {"id": project.id})
        for error in (added, removed):
            assert error["code"] == -32001 and error["data"] == {"scope": "terminal"}
        await comm.disconnect()

    run(scenario())
    assert list(Project.objects.values_list("path", flat=True)) == [str(tmp_path / "existing")]


def test_a_read_only_device_can_list_but_not_change_projects(read_only_device, tmp_path):
    project = Project.objects.add(str(tmp_path), "Mine")

    async def scenario():
        comm = await open_socket(read_only_device)
        assert [p["id"] for p in (await ok(comm, "projects.list"))["projects"]] == [project.id]
        renamed = await fails(comm, "projects.rename", {"id": project.id, "title": "Theirs"})
        assert renamed["code"] == -32001 and renamed["data"] == {"scope": "write"}
        refused = await fails(comm, "projects.add", {"path": str(tmp_path)})
        assert refused["code"] == -32001
        await comm.disconnect()

    run(scenario())


def test_every_open_socket_hears_of_a_project_added_through_another(owner_device, client_device, tmp_path):
    async def scenario():
        adder = await open_socket(owner_device)
        watcher = await open_socket(client_device)
        try:
            added = (await ok(adder, "projects.add", {"path": str(tmp_path), "title": "Shared"}))["project"]
            assert (await notification(watcher, "projects.changed")) == {"projects": [added]}
            assert (await notification(adder, "projects.changed")) == {"projects": [added]}
        finally:
            await adder.disconnect()
            await watcher.disconnect()

    run(scenario())


def test_an_open_socket_hears_of_a_change_it_was_not_told_about(owner_device, tmp_path):
    project = Project.objects.add(str(tmp_path), "Before")

    def rename_behind_the_servers_back():
        # Like another process would: no announcement reaches this process's sockets.
        Project.objects.filter(pk=project.pk).update(title="After", updated_at=clock.now())

    async def scenario():
        comm = await open_socket(owner_device)
        try:
            await database_sync_to_async(rename_behind_the_servers_back)()
            changed = await notification(comm, "projects.changed")
            assert [p["title"] for p in changed["projects"]] == ["After"]
        finally:
            await comm.disconnect()

    run(scenario())

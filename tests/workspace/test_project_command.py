"""`manage.py project`: in-process, as a shell runs it, and next to a running server."""

from __future__ import annotations

import json
import signal
import time
from io import StringIO

import pytest
import websockets.sync.client
from django.core.management import CommandError, call_command

from tests.support.commands import command_help
from tests.support.server import manage
from tests.support.terminals import live_terminal, session_group_leader
from workspace.models import Project

NOTIFICATION_DEADLINE_SECONDS = 2.5


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("project", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_add_makes_a_folder_a_project_titled_after_the_folder(tmp_path):
    folder = tmp_path / "website"
    folder.mkdir()
    output = run_command("add", str(folder))
    project = Project.objects.get()
    assert (project.title, project.path) == ("website", str(folder))
    assert output == f"Added project {project.id}: website ({folder})\n"


@pytest.mark.django_db
def test_add_takes_a_title(tmp_path):
    run_command("add", str(tmp_path), "--title", "My site")
    assert Project.objects.get().title == "My site"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("target", "message"),
    [("missing", "does not exist"), ("file.txt", "is a file, not a folder"), ("taken", "is already project")],
)
def test_add_refuses_a_missing_path_a_file_and_a_duplicate(tmp_path, target, message):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "taken").mkdir()
    Project.objects.add(str(tmp_path / "taken"))
    with pytest.raises(CommandError, match=message):
        run_command("add", str(tmp_path / target))


@pytest.mark.django_db
def test_list_prints_json_with_the_socket_shape(tmp_path):
    project = Project.objects.add(str(tmp_path), "Site")
    assert json.loads(run_command("list", "--json")) == [project.as_dict()]
    assert project.id in run_command("list")


@pytest.mark.django_db
def test_list_has_a_header_row_over_aligned_columns(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "longer-folder").mkdir()
    first = Project.objects.add(str(tmp_path / "a"), "A")
    second = Project.objects.add(str(tmp_path / "longer-folder"), "Longer title")
    header, *rows = run_command("list").splitlines()
    assert header.split() == ["ID", "TITLE", "FOLDER", "GIT"]
    assert rows[0].split("  ")[0] == first.id and second.id in rows[1]
    assert {row.index(str(tmp_path)) for row in rows} == {header.index("FOLDER")}
    assert [row.split()[-1] for row in rows] == ["no", "no"]


@pytest.mark.django_db
def test_list_says_when_there_are_no_projects():
    assert run_command("list").startswith("No projects.")


@pytest.mark.django_db
def test_rename_and_remove_find_a_project_by_id_or_by_folder(tmp_path):
    project = Project.objects.add(str(tmp_path))
    run_command("rename", project.id, "By id")
    assert Project.objects.get().title == "By id"
    run_command("rename", str(tmp_path), "By path")
    assert Project.objects.get().title == "By path"
    assert "folder is untouched" in run_command("remove", str(tmp_path))
    assert not Project.objects.exists() and tmp_path.is_dir()


@pytest.mark.django_db
def test_rename_and_remove_find_a_project_by_its_title(tmp_path):
    Project.objects.add(str(tmp_path), "My site")
    run_command("rename", "my site", "Blog")
    assert Project.objects.get().title == "Blog"
    assert "folder is untouched" in run_command("remove", "Blog")
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_a_title_two_projects_share_is_refused_naming_their_ids(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one = Project.objects.add(str(tmp_path / "one"), "Site")
    two = Project.objects.add(str(tmp_path / "two"), "Site")
    with pytest.raises(CommandError) as refused:
        run_command("remove", "Site")
    assert one.id in str(refused.value) and two.id in str(refused.value)
    assert "\n" not in str(refused.value)
    assert Project.objects.count() == 2


@pytest.mark.django_db
def test_an_exact_title_wins_over_one_that_differs_only_in_case(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    Project.objects.add(str(tmp_path / "one"), "Site")
    lower = Project.objects.add(str(tmp_path / "two"), "site")
    run_command("rename", "site", "Renamed")
    assert Project.objects.get(pk=lower.pk).title == "Renamed"


@pytest.mark.django_db
def test_rename_and_remove_refuse_an_unknown_project():
    with pytest.raises(CommandError, match="no project 'nope'"):
        run_command("rename", "nope", "x")
    with pytest.raises(CommandError, match="no project"):
        run_command("remove", "/no/such/folder")


@pytest.mark.django_db
def test_remove_needs_force_while_a_terminal_runs_and_then_hangs_it_up(tmp_path):
    project = Project.objects.add(str(tmp_path))
    process = session_group_leader()
    live_terminal(project, process)
    try:
        with pytest.raises(CommandError, match="running terminal"):
            run_command("remove", project.id)
        assert process.poll() is None
        assert "closed 1 terminal(s)" in run_command("remove", project.id, "--force")
        assert process.wait(timeout=5) == -signal.SIGHUP
    finally:
        process.kill()


def test_a_user_mistake_is_one_line_on_stderr_without_a_traceback(tmp_path):
    result = manage(tmp_path / "home", "project", "add", str(tmp_path / "missing"))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"CommandError: {tmp_path / 'missing'} does not exist"]


def test_every_subcommand_says_what_it_does():
    help_text = command_help("project", "remove")
    assert "Forget a project; its folder and files are not touched" in help_text
    assert "--force" in help_text
    overview = command_help("project")
    for verb in ("add", "list", "rename", "remove"):
        assert verb in overview


def test_a_project_added_from_a_shell_reaches_an_open_socket_of_the_running_server(server, tmp_path):
    issued = json.loads(manage(server.home, "auth", "session", "issue", "--json").stdout)
    folder = tmp_path / "from-the-shell"
    folder.mkdir()
    headers = {"Authorization": f"Bearer {issued['sessionToken']}"}
    with websockets.sync.client.connect(server.ws_url, additional_headers=headers) as socket:
        socket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "projects.list"}))
        assert json.loads(socket.recv(timeout=5))["result"] == {"projects": []}

        added = manage(server.home, "project", "add", str(folder), "--title", "Shell")
        assert added.returncode == 0, added.stderr
        deadline = time.monotonic() + NOTIFICATION_DEADLINE_SECONDS
        while True:
            frame = json.loads(socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if frame.get("method") == "projects.changed":
                break
    assert [(p["title"], p["path"]) for p in frame["params"]["projects"]] == [("Shell", str(folder))]

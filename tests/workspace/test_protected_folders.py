"""No project reaches the server's own home, its code, or the user's SSH keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.sockets import calls
from workspace.models import Project

pytestmark = pytest.mark.django_db(transaction=True)

INVALID_PARAMS = -32602


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A user home with an SSH key in it, as ~ expands."""
    folder = tmp_path / "home"
    (folder / ".ssh").mkdir(parents=True)
    (folder / ".ssh" / "id_ed25519").write_text("PRIVATE KEY")
    (folder / "notes.txt").write_text("mine")
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.mark.parametrize(
    "path", ["/", str(settings.T3SITE_HOME), str(settings.BASE_DIR), str(Path(settings.BASE_DIR) / "workspace")]
)
def test_it_refuses_a_project_that_is_holds_or_is_inside_the_servers_own_folders(owner_device, path):
    [error] = calls(owner_device, ("projects.add", {"path": path}))
    assert error["code"] == INVALID_PARAMS
    assert "the server's own files" in error["message"]
    assert not Project.objects.exists()


def test_it_refuses_a_project_inside_the_users_ssh_folder(owner_device, home):
    [error] = calls(owner_device, ("projects.add", {"path": str(home / ".ssh")}))
    assert error["code"] == INVALID_PARAMS
    assert "keeps out of every project" in error["message"]


def test_a_project_of_the_home_folder_cannot_read_or_write_the_ssh_keys(owner_device, home):
    project = Project.objects.add(str(home))
    key = {"projectId": project.id, "path": ".ssh/id_ed25519"}
    notes, read, written, listed = calls(
        owner_device,
        ("files.read", {"projectId": project.id, "path": "notes.txt"}),
        ("files.read", key),
        ("files.write", {**key, "content": "attacker key"}),
        ("files.list", {"projectId": project.id, "path": ".ssh"}),
    )
    assert notes["content"] == "mine"
    for error in (read, written, listed):
        assert error["code"] == INVALID_PARAMS
        assert "keeps out of every project" in error["message"]
    assert (home / ".ssh" / "id_ed25519").read_text() == "PRIVATE KEY"


def test_a_project_of_the_root_made_before_the_check_still_cannot_reach_the_server(owner_device):
    project = Project.objects.create(path="/", title="everything")
    secret = os.path.relpath(Path(settings.T3SITE_HOME) / "secret", "/")
    code = os.path.relpath(Path(settings.BASE_DIR) / "t3site" / "settings.py", "/")
    read_secret, write_code, read_elsewhere = calls(
        owner_device,
        ("files.read", {"projectId": project.id, "path": secret}),
        ("files.write", {"projectId": project.id, "path": code, "content": "import os; os.system('id')"}),
        ("files.list", {"projectId": project.id, "path": "etc"}),
    )
    assert read_secret["code"] == write_code["code"] == INVALID_PARAMS
    assert "import os" not in (Path(settings.BASE_DIR) / "t3site" / "settings.py").read_text()
    assert "entries" in read_elsewhere


def test_the_folder_picker_lists_the_servers_folders_but_marks_them_not_addable(owner_device):
    checkout = Path(settings.BASE_DIR).resolve()
    [parent, root] = calls(
        owner_device,
        ("filesystem.browse", {"path": str(checkout.parent), "showHidden": True}),
        ("filesystem.browse", {"path": "/"}),
    )
    entries = {entry["name"]: entry for entry in parent["entries"]}
    assert entries[checkout.name]["addable"] is False
    assert parent["addable"] is False  # it holds the checkout
    assert root["addable"] is False
    assert any(entry["addable"] for entry in root["entries"])

"""No project reaches the server's own files, the live system, or the user's credentials and configuration."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.support.sockets import calls
from workspace import files, protected
from workspace.models import Project
from workspace.paths import PathRefused

pytestmark = pytest.mark.django_db(transaction=True)

INVALID_PARAMS = -32602
REFUSED = "keeps out of every project"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A user home with credentials and configuration in it, as ~ expands."""
    folder = tmp_path / "home"
    for name in (".ssh", ".config/git", ".gnupg", ".aws", ".local/share/keyrings", "code"):
        (folder / name).mkdir(parents=True)
    (folder / ".ssh" / "id_ed25519").write_text("PRIVATE KEY")
    (folder / "notes.txt").write_text("mine")
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return folder


# Named, not shown by path: T3SITE_HOME differs between pytest-xdist's workers, which must collect the same ids.
SERVER_FOLDERS = [
    pytest.param(str(settings.T3SITE_HOME), id="T3SITE_HOME"),
    pytest.param(str(settings.BASE_DIR), id="BASE_DIR"),
    pytest.param(str(Path(settings.BASE_DIR) / "workspace"), id="BASE_DIR/workspace"),
]
SYSTEM_FOLDERS = ["/", "/proc", "/proc/self", "/sys/kernel", "/dev"]
HOME_PLACES = ["~", "~/.ssh", "~/.config", "~/.config/git", "~/.gnupg", "~/.aws", "~/.local/share/keyrings"]


@pytest.mark.parametrize("path", [*SERVER_FOLDERS, *SYSTEM_FOLDERS, *HOME_PLACES])
def test_it_refuses_a_project_that_is_holds_or_lies_inside_a_protected_place(owner_device, home, path):
    [error] = calls(owner_device, ("projects.add", {"path": path}))
    assert error["code"] == INVALID_PARAMS
    assert REFUSED in error["message"]
    assert not Project.objects.exists()


def test_a_folder_apart_from_every_protected_place_can_be_a_project(owner_device, home):
    [added] = calls(owner_device, ("projects.add", {"path": "~/code"}))
    assert added["project"]["path"] == str(home / "code")


def test_the_project_command_refuses_the_same_places(home):
    # `manage.py project add` runs as the user at their shell, but what it adds every write device reaches.
    for place in (home / ".config" / "git", home):
        with pytest.raises(CommandError, match=REFUSED):
            call_command("project", "add", str(place))
    assert not Project.objects.exists()


def test_a_symlinked_config_folder_protects_where_it_points(owner_device, home):
    dotfiles = home / "dotfiles"
    (dotfiles / "config").mkdir(parents=True)
    shutil.rmtree(home / ".config")
    (home / ".config").symlink_to(dotfiles / "config")
    holds, inside = calls(
        owner_device,
        ("projects.add", {"path": str(dotfiles)}),
        ("projects.add", {"path": str(dotfiles / "config")}),
    )
    assert holds["code"] == inside["code"] == INVALID_PARAMS
    assert str(dotfiles / "config") in holds["message"]


def test_the_xdg_config_home_is_protected_wherever_it_is(owner_device, home, tmp_path, monkeypatch):
    config = tmp_path / "elsewhere" / "config"
    config.mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    [error] = calls(owner_device, ("projects.add", {"path": str(config.parent)}))
    assert error["code"] == INVALID_PARAMS and REFUSED in error["message"]


@pytest.mark.parametrize("where", ["~/.config/git", "~", "/"])
def test_a_project_made_before_the_check_can_no_longer_be_used(owner_device, home, tmp_path, where):
    # As an older server let a write device make one (issue 10, finding 1): it is refused as a whole.
    folder = os.path.expanduser(where)
    project = Project.objects.create(path=folder, title="old")
    planted = tmp_path / "planted" if where == "/" else Path(folder) / "planted"  # a failure leaves no file in /
    written, listed, status = calls(
        owner_device,
        ("files.write", {"projectId": project.id, "path": os.path.relpath(planted, folder), "content": "[filter]"}),
        ("files.list", {"projectId": project.id}),
        ("git.status", {"projectId": project.id}),
    )
    for error in (written, listed, status):
        assert error["code"] == INVALID_PARAMS
        assert "can no longer be used" in error["message"] and REFUSED in error["message"]
    assert not planted.exists()


def test_files_refuse_a_protected_path_even_in_a_root_that_holds_it(home):
    # The layer under the one above, proven on its own: every path is checked against the list again.
    places = protected.paths()
    attempts = (
        lambda: files.read_file(str(home), ".ssh/id_ed25519", places),
        lambda: files.write_file(str(home), ".ssh/authorized_keys", b"attacker key", None, places),
        lambda: files.list_folder(str(home), ".config", places),
    )
    for attempt in attempts:
        with pytest.raises(PathRefused, match=REFUSED):
            attempt()
    assert files.read_file(str(home), "notes.txt", places)["content"] == "mine"
    assert sorted(os.listdir(home / ".ssh")) == ["id_ed25519"]


def test_the_folder_picker_lists_protected_folders_but_marks_them_not_addable(owner_device, home):
    checkout = Path(settings.BASE_DIR).resolve()
    parent, root, user = calls(
        owner_device,
        ("filesystem.browse", {"path": str(checkout.parent), "showHidden": True}),
        ("filesystem.browse", {"path": "/"}),
        ("filesystem.browse", {"path": "~", "showHidden": True}),
    )
    entries = {entry["name"]: entry for entry in parent["entries"]}
    assert entries[checkout.name]["addable"] is False
    assert parent["addable"] is False  # it holds the checkout
    assert root["addable"] is False
    assert {entry["name"]: entry["addable"] for entry in root["entries"]}["proc"] is False
    assert any(entry["addable"] for entry in root["entries"])
    addable = {entry["name"]: entry["addable"] for entry in user["entries"]}
    assert user["addable"] is False
    assert addable == {"code": True, ".aws": False, ".config": False, ".gnupg": False, ".local": False, ".ssh": False}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(str(Path(settings.T3SITE_HOME) / "planted"), id="T3SITE_HOME/planted"),
        pytest.param(str(Path(settings.BASE_DIR) / "planted"), id="BASE_DIR/planted"),
        "~/.config/planted",
        "~/.ssh/planted",
        "/proc/planted",
        "/dev/planted",
    ],
)
def test_it_refuses_to_create_a_folder_in_a_protected_place(owner_device, home, path):
    made = os.path.expanduser(path)
    try:
        [error] = calls(owner_device, ("filesystem.createDirectory", {"path": path}))
        assert error["code"] == INVALID_PARAMS and REFUSED in error["message"]
        assert not os.path.exists(made)
    finally:
        if os.path.isdir(made):  # a regression must not leave folders in /dev or the checkout
            os.rmdir(made)


def test_it_refuses_to_create_a_folder_through_a_symlink_into_a_protected_place(owner_device, home):
    (home / "code" / "settings").symlink_to(home / ".config")
    [error] = calls(owner_device, ("filesystem.createDirectory", {"path": "~/code/settings/git-hooks"}))
    assert error["code"] == INVALID_PARAMS and str(home / ".config") in error["message"]
    assert not (home / ".config" / "git-hooks").exists()


def test_it_refuses_a_new_folder_path_that_climbs_with_dot_dot(owner_device, home):
    [error] = calls(owner_device, ("filesystem.createDirectory", {"path": "~/code/../scratch"}))
    assert error["code"] == INVALID_PARAMS and "'..'" in error["message"]
    assert not (home / "scratch").exists()

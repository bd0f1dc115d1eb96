"""filesystem.* over /ws: the remote folder picker."""

from __future__ import annotations

import os

import pytest

from tests.support.sockets import calls
from workspace.models import Project

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tree(tmp_path):
    """A folder with subfolders (one a repo, one hidden, one a symlink to a folder) and a file."""
    base = tmp_path / "code"
    for name in ("beta", "Alpha", "gamma/.git", ".cache"):
        (base / name).mkdir(parents=True)
    (base / "notes.txt").write_text("not a folder")
    os.symlink(base / "beta", base / "beta-link")
    return base


def test_it_lists_folders_only_sorted_and_without_hidden_ones(owner_device, tree):
    [listing] = calls(owner_device, ("filesystem.browse", {"path": str(tree)}))
    assert listing["path"] == str(tree)
    assert [entry["name"] for entry in listing["entries"]] == ["Alpha", "beta", "beta-link", "gamma"]
    gamma = listing["entries"][3]
    assert gamma == {
        "name": "gamma",
        "path": str(tree / "gamma"),
        "isGitRepo": True,
        "isProject": False,
        "hidden": False,
        "addable": True,
    }


def test_it_lists_hidden_folders_last_when_asked(owner_device, tree):
    [listing] = calls(owner_device, ("filesystem.browse", {"path": str(tree), "showHidden": True}))
    assert [entry["name"] for entry in listing["entries"]] == ["Alpha", "beta", "beta-link", "gamma", ".cache"]


def test_it_marks_folders_that_are_projects(owner_device, tree):
    Project.objects.add(str(tree / "beta"))
    [listing] = calls(owner_device, ("filesystem.browse", {"path": str(tree)}))
    assert {entry["name"] for entry in listing["entries"] if entry["isProject"]} == {"beta", "beta-link"}


def test_it_gives_the_parent_home_and_breadcrumbs(owner_device, tree):
    [listing] = calls(owner_device, ("filesystem.browse", {"path": str(tree / "gamma")}))
    assert listing["parent"] == str(tree)
    assert listing["home"] == os.path.expanduser("~")
    crumbs = listing["breadcrumbs"]
    assert crumbs[0] == {"name": "/", "path": "/"}
    assert crumbs[-2:] == [{"name": "code", "path": str(tree)}, {"name": "gamma", "path": str(tree / "gamma")}]


def test_the_filesystem_root_has_no_parent(owner_device):
    [listing] = calls(owner_device, ("filesystem.browse", {"path": "/"}))
    assert listing["parent"] is None and listing["breadcrumbs"] == [{"name": "/", "path": "/"}]


def test_it_opens_in_the_servers_folder_by_default(owner_device, tree, monkeypatch):
    monkeypatch.chdir(tree)
    default, relative = calls(owner_device, ("filesystem.browse", {}), ("filesystem.browse", {"path": "gamma"}))
    assert default["path"] == str(tree)
    assert relative["path"] == str(tree / "gamma")


def test_it_reports_a_missing_folder_and_a_file(owner_device, tree):
    missing, a_file, nul = calls(
        owner_device,
        ("filesystem.browse", {"path": str(tree / "nope")}),
        ("filesystem.browse", {"path": str(tree / "notes.txt")}),
        ("filesystem.browse", {"path": "/tmp\x00"}),
    )
    assert missing["code"] == -32004
    assert a_file["code"] == -32602 and "not a folder" in a_file["message"]
    assert nul["code"] == -32602


def test_it_creates_a_folder(owner_device, tree):
    [created] = calls(owner_device, ("filesystem.createDirectory", {"path": str(tree / "delta")}))
    assert created == {"path": str(tree / "delta")}
    assert (tree / "delta").is_dir()


def test_it_refuses_to_create_a_folder_that_exists_or_whose_parent_is_missing(owner_device, tree):
    exists, orphan = calls(
        owner_device,
        ("filesystem.createDirectory", {"path": str(tree / "beta")}),
        ("filesystem.createDirectory", {"path": str(tree / "no" / "such")}),
    )
    assert exists["code"] == -32009 and "already exists" in exists["message"]
    assert orphan["code"] == -32004 and "does not exist" in orphan["message"]
    assert not (tree / "no").exists()


@pytest.mark.parametrize("device", ["read_only_device", "read_write_device"])
def test_a_device_without_the_terminal_scope_can_neither_browse_nor_create_folders(request, device, tree):
    # The picker reaches beyond every project; read and write reach only inside them.
    listing, created = calls(
        request.getfixturevalue(device),
        ("filesystem.browse", {"path": str(tree)}),
        ("filesystem.createDirectory", {"path": str(tree / "delta")}),
    )
    for error in (listing, created):
        assert error["code"] == -32001 and error["data"] == {"scope": "terminal"}
    assert not (tree / "delta").exists()

"""git.* over /ws against real repositories made with the real git binary."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.sockets import calls
from workspace import gitinfo
from workspace.models import Project

pytestmark = pytest.mark.django_db(transaction=True)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, timeout=30
    ).stdout.strip()


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "config", "user.name", "Ada Lovelace")
    git(path, "config", "user.email", "ada@example.com")
    git(path, "config", "commit.gpgsign", "false")
    return path


def commit(repo: Path, name: str, content: str, message: str) -> str:
    (repo / name).write_text(content)
    git(repo, "add", name)
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path):
    return new_repo(tmp_path / "repo")


def project_of(path: Path) -> Project:
    return Project.objects.add(str(path))


def status_of(device, path: Path) -> dict:
    [status] = calls(device, ("git.status", {"projectId": project_of(path).id}))
    return status


def test_it_shows_a_fresh_repository_with_no_commits(owner_device, repo):
    (repo / "staged.txt").write_text("a")
    (repo / "loose.txt").write_text("b")
    git(repo, "add", "staged.txt")
    project = project_of(repo)
    status, log, diff = calls(
        owner_device,
        ("git.status", {"projectId": project.id}),
        ("git.log", {"projectId": project.id}),
        ("git.diff", {"projectId": project.id, "staged": True}),
    )
    assert status == {
        "branch": "main",
        "detached": False,
        "head": None,
        "upstream": None,
        "ahead": 0,
        "behind": 0,
        "staged": [{"path": "staged.txt", "status": "A"}],
        "unstaged": [],
        "untracked": ["loose.txt"],
    }
    assert log == {"commits": []}
    assert "+a" in diff["diff"] and diff["truncated"] is False


def test_it_separates_staged_unstaged_and_untracked_changes(owner_device, repo):
    commit(repo, "a.txt", "one\n", "first")
    commit(repo, "b.txt", "two\n", "second")
    (repo / "a.txt").write_text("one changed\n")
    git(repo, "rm", "--quiet", "b.txt")
    (repo / "c.txt").write_text("new\n")
    status = status_of(owner_device, repo)
    assert status["staged"] == [{"path": "b.txt", "status": "D"}]
    assert status["unstaged"] == [{"path": "a.txt", "status": "M"}]
    assert status["untracked"] == ["c.txt"]


def test_it_shows_a_renamed_file_with_its_old_path(owner_device, repo):
    commit(repo, "old name.txt", "same content\n" * 20, "add")
    git(repo, "mv", "old name.txt", "new name.txt")
    status = status_of(owner_device, repo)
    assert status["staged"] == [{"path": "new name.txt", "status": "R", "oldPath": "old name.txt"}]


def test_it_shows_a_detached_head(owner_device, repo):
    first = commit(repo, "a.txt", "1", "first")
    commit(repo, "a.txt", "2", "second")
    git(repo, "checkout", "--quiet", first)
    status = status_of(owner_device, repo)
    assert status["detached"] is True and status["branch"] is None and status["head"] == first


def test_it_counts_commits_ahead_of_and_behind_the_upstream(owner_device, tmp_path):
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    mine = new_repo(tmp_path / "mine")
    commit(mine, "a.txt", "1", "shared")
    git(mine, "remote", "add", "origin", str(remote))
    git(mine, "push", "--quiet", "-u", "origin", "main")
    theirs = tmp_path / "theirs"
    git(tmp_path, "clone", "--quiet", str(remote), str(theirs))
    git(theirs, "config", "user.name", "Grace Hopper")
    git(theirs, "config", "user.email", "grace@example.com")
    commit(theirs, "b.txt", "theirs", "theirs")
    git(theirs, "push", "--quiet")
    commit(mine, "c.txt", "mine 1", "mine 1")
    commit(mine, "d.txt", "mine 2", "mine 2")
    git(mine, "fetch", "--quiet")
    status = status_of(owner_device, mine)
    assert (status["branch"], status["upstream"], status["ahead"], status["behind"]) == ("main", "origin/main", 2, 1)


def test_it_says_a_plain_folder_is_not_a_git_repository(owner_device, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    project = project_of(folder)
    status, log = calls(
        owner_device,
        ("git.status", {"projectId": project.id}),
        ("git.log", {"projectId": project.id}),
    )
    assert status == {"code": -32004, "message": "not a git repository"}
    assert log["code"] == -32004


def test_it_lists_commits_newest_first_up_to_the_limit(owner_device, repo):
    hashes = [commit(repo, "a.txt", str(n), f"change {n}") for n in range(3)]
    project = project_of(repo)
    everything, limited, too_many = calls(
        owner_device,
        ("git.log", {"projectId": project.id}),
        ("git.log", {"projectId": project.id, "limit": 2}),
        ("git.log", {"projectId": project.id, "limit": gitinfo.LOG_MAX_LIMIT + 1}),
    )
    newest = everything["commits"][0]
    assert [c["hash"] for c in everything["commits"]] == hashes[::-1]
    assert newest["shortHash"] == hashes[2][: len(newest["shortHash"])]
    assert (newest["author"], newest["email"], newest["subject"]) == ("Ada Lovelace", "ada@example.com", "change 2")
    assert newest["date"].endswith("Z")
    assert len(limited["commits"]) == 2
    assert too_many["code"] == -32602


def test_it_diffs_the_work_tree_or_the_index_for_one_path(owner_device, repo):
    commit(repo, "a.txt", "old a\n", "a")
    commit(repo, "b.txt", "old b\n", "b")
    (repo / "a.txt").write_text("new a\n")
    (repo / "b.txt").write_text("new b\n")
    git(repo, "add", "b.txt")
    project = project_of(repo)
    work_tree, index, one_path, outside = calls(
        owner_device,
        ("git.diff", {"projectId": project.id}),
        ("git.diff", {"projectId": project.id, "staged": True}),
        ("git.diff", {"projectId": project.id, "path": "b.txt", "staged": True}),
        ("git.diff", {"projectId": project.id, "path": "../elsewhere"}),
    )
    assert "+new a" in work_tree["diff"] and "b.txt" not in work_tree["diff"]
    assert "+new b" in index["diff"] and "a.txt" not in index["diff"]
    assert "+new b" in one_path["diff"]
    assert outside["code"] == -32602


def test_it_cuts_a_diff_at_the_size_limit(owner_device, repo, monkeypatch):
    commit(repo, "big.txt", "", "empty")
    (repo / "big.txt").write_text("line\n" * 10_000)
    monkeypatch.setattr(gitinfo, "DIFF_LIMIT_BYTES", 1000)
    [diff] = calls(owner_device, ("git.diff", {"projectId": project_of(repo).id}))
    assert diff["truncated"] is True and len(diff["diff"].encode()) == 1000


def test_looking_at_a_repository_never_runs_its_configured_programs(owner_device, repo, tmp_path):
    ran = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {ran}\n")
    hook.chmod(0o755)
    commit(repo, "a.txt", "1\n", "first")
    commit(repo, "doc.bin", "1\n", "second")
    git(repo, "config", "core.fsmonitor", str(hook))
    git(repo, "config", "diff.external", str(hook))
    git(repo, "config", "diff.evil.textconv", str(hook))
    (repo / ".gitattributes").write_text("*.bin diff=evil\n")
    (repo / "a.txt").write_text("2\n")
    (repo / "doc.bin").write_text("2\n")
    project = project_of(repo)
    status, diff = calls(
        owner_device,
        ("git.status", {"projectId": project.id}),
        ("git.diff", {"projectId": project.id}),
    )
    assert status["unstaged"] and "+2" in diff["diff"]
    assert not ran.exists()

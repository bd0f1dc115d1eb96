"""git.* over /ws against real repositories made with the real git binary."""

from __future__ import annotations

import asyncio
import os
import shutil
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


@pytest.fixture
def marker(tmp_path):
    """A program that leaves a mark when it runs and passes its input through, as a filter does."""
    program = tmp_path / "leave-a-mark.sh"
    program.write_text(f"#!/bin/sh\ntouch {tmp_path / 'ran'}\ncat\n")
    program.chmod(0o755)
    return program


def ran(marker: Path) -> bool:
    return (marker.parent / "ran").exists()


@pytest.fixture
def user_home(tmp_path, monkeypatch):
    """The server user's home, where git finds the user's own ~/.gitconfig."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    return folder


def test_looking_at_a_repository_never_runs_its_configured_programs(owner_device, repo, marker):
    commit(repo, "a.txt", "1\n", "first")
    commit(repo, "doc.bin", "1\n", "second")
    git(repo, "config", "core.fsmonitor", str(marker))
    git(repo, "config", "diff.external", str(marker))
    git(repo, "config", "diff.evil.textconv", str(marker))
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
    assert not ran(marker)


def filter_config(program: Path) -> str:
    return f'[filter "evil"]\n\tclean = {program}\n\tsmudge = {program}\n\trequired = true\n'


@pytest.mark.parametrize("defined_in", ["the repository's config", "a work-tree file it includes", "a global include"])
def test_a_clean_filter_from_config_a_project_can_carry_never_runs(owner_device, repo, marker, user_home, defined_in):
    # Issue 10, finding 1: a filter named in .gitattributes ran as the server's user on git.status.
    commit(repo, "a.txt", "1\n", "first")
    shared = repo / "shared.gitconfig"  # a file any write device can change
    if defined_in == "the repository's config":
        with open(repo / ".git" / "config", "a") as config:
            config.write(filter_config(marker))
    else:
        shared.write_text(filter_config(marker))
        if defined_in == "a work-tree file it includes":
            git(repo, "config", "include.path", "../shared.gitconfig")
        else:
            (user_home / ".gitconfig").write_text(f"[include]\n\tpath = {shared}\n")
    (repo / ".gitattributes").write_text("*.txt filter=evil\n")
    (repo / "a.txt").write_text("2\n")  # same size: git compares the content, through the filter
    project = project_of(repo)
    status, diff = calls(
        owner_device,
        ("git.status", {"projectId": project.id}),
        ("git.diff", {"projectId": project.id}),
    )
    assert status["unstaged"] == [{"path": "a.txt", "status": "M"}]
    assert "+2" in diff["diff"]
    assert not ran(marker)


def test_the_users_own_filter_still_applies_and_a_repository_cannot_replace_it(owner_device, repo, marker, user_home):
    # A git-lfs-style filter from ~/.gitconfig (no project reaches it) keeps working.
    (user_home / ".gitconfig").write_text('[filter "upper"]\n\tclean = tr a-z A-Z\n\trequired = true\n')
    commit(repo, "a.txt", "HELLO\n", "first")
    git(repo, "config", "filter.upper.clean", str(marker))
    (repo / ".gitattributes").write_text("a.txt filter=upper\n")
    (repo / "a.txt").write_text("hello\n")  # what the user's filter stores as HELLO: no change
    project = project_of(repo)
    status, diff = calls(
        owner_device,
        ("git.status", {"projectId": project.id}),
        ("git.diff", {"projectId": project.id}),
    )
    assert status["unstaged"] == [] and diff["diff"] == ""
    assert not ran(marker)


def test_a_filter_name_git_cannot_be_told_to_drop_stops_git_instead(owner_device, repo, marker):
    # `-c filter.a=b.clean=` would set "filter.a": such a name is refused, not half switched off.
    commit(repo, "a.txt", "1\n", "first")
    git(repo, "config", "filter.a=b.clean", str(marker))
    (repo / ".gitattributes").write_text("*.txt filter=a=b\n")
    (repo / "a.txt").write_text("2\n")
    [status] = calls(owner_device, ("git.status", {"projectId": project_of(repo).id}))
    assert status["code"] == -32603 and "filter.a=b.clean" in status["message"]
    assert not ran(marker)


@pytest.fixture
def partial_clone(tmp_path, marker):
    """A clone without old file contents, whose fetches run ``marker`` (remote.origin.uploadpack) first."""
    source = new_repo(tmp_path / "source")
    commit(source, "a.txt", "1\n", "first")
    commit(source, "a.txt", "2\n", "second")
    git(source, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--filter=blob:none", f"file://{source}", str(clone))
    git(clone, "reset", "--quiet", "--soft", "HEAD~1")  # the staged diff needs the first a.txt, never fetched
    git(clone, "config", "remote.origin.uploadpack", f"{marker} </dev/null; git-upload-pack")
    return clone


def test_a_partial_clone_never_fetches_what_it_lacks(owner_device, partial_clone, marker):
    # A fetch runs programs the repository's config names (remote.*.uploadpack, core.sshCommand).
    [diff] = calls(owner_device, ("git.diff", {"projectId": project_of(partial_clone).id, "staged": True}))
    assert diff["code"] == -32603
    assert not ran(marker)


def test_git_run_by_the_server_does_not_fetch_missing_objects_by_itself(partial_clone, marker):
    # The lazy-fetch switch proven on its own: transports allowed again after t3site's own options.
    with pytest.raises(gitinfo.GitError):
        asyncio.run(gitinfo.run_git(partial_clone, "-c", "protocol.allow=always", "diff", "--cached"))
    assert not ran(marker)


@pytest.mark.parametrize("allowed_by", [None, "the repository", "the user's own config"])
def test_git_run_by_the_server_reaches_no_remote(partial_clone, marker, user_home, allowed_by):
    # The transport switches proven on their own. protocol.<name>.allow beats protocol.allow, and even
    # the user's own allowance is undone: a fetch would run the repository's remote.*.uploadpack.
    if allowed_by == "the repository":
        git(partial_clone, "config", "protocol.file.allow", "always")
    elif allowed_by == "the user's own config":
        (user_home / ".gitconfig").write_text('[protocol "file"]\n\tallow = always\n')
    with pytest.raises(gitinfo.GitError, match="not allowed"):
        asyncio.run(gitinfo.run_git(partial_clone, "fetch", "origin", protected=[str(user_home / ".gitconfig")]))
    assert not ran(marker)


def test_git_never_runs_inside_a_submodule_under_the_submodules_own_config(owner_device, tmp_path, marker):
    inner = new_repo(tmp_path / "inner")
    commit(inner, "a.txt", "1\n", "first")
    outer = new_repo(tmp_path / "outer")
    git(outer, "-c", "protocol.file.allow=always", "submodule", "--quiet", "add", str(inner), "inner")
    git(outer, "commit", "--quiet", "-m", "add inner")
    git(outer / "inner", "config", "filter.evil.clean", str(marker))
    (outer / "inner" / ".gitattributes").write_text("*.txt filter=evil\n")
    (outer / "inner" / "a.txt").write_text("2\n")
    project = project_of(outer)
    status, diff = calls(
        owner_device,
        ("git.status", {"projectId": project.id}),
        ("git.diff", {"projectId": project.id}),
    )
    assert status["unstaged"] == [] and diff["diff"] == ""
    assert not ran(marker)


def test_git_run_by_the_server_runs_no_hook_even_when_it_writes_the_index(repo, marker):
    # No method writes the index today (GIT_OPTIONAL_LOCKS=0); the hook switch must hold on its own.
    commit(repo, "a.txt", "1\n", "first")
    hooks = repo / ".git" / "hooks"
    shutil.copy(marker, hooks / "post-index-change")
    os.utime(repo / "a.txt", (0, 0))  # a stat change that update-index --refresh writes to the index
    asyncio.run(gitinfo.run_git(repo, "update-index", "--refresh"))
    assert not ran(marker)
    os.utime(repo / "a.txt", (1, 1))  # again: the index took the first one
    git(repo, "update-index", "--refresh")  # the same git without t3site's switches runs the hook
    assert ran(marker)

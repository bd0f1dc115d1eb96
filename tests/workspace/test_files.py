"""files.* over /ws: listing, reading, atomic writes, and paths that try to leave the project."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import threading

import pytest

from tests.support.sockets import calls
from workspace import files
from workspace.models import Project

pytestmark = pytest.mark.django_db(transaction=True)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def layout(tmp_path):
    """A project folder with a file, a subfolder, a binary file, and a secret outside it."""
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "README.md").write_text("# hello\n")
    (root / "src" / "main.py").write_text("print('hi')\n")
    (root / "logo.bin").write_bytes(b"\x89PNG\x00\xff")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("do not read")
    return root, outside


@pytest.fixture
def project(layout):
    return Project.objects.add(str(layout[0]))


def test_it_lists_a_folder_with_folders_first(owner_device, project):
    [listing] = calls(owner_device, ("files.list", {"projectId": project.id}))
    assert listing["path"] == ""
    assert [(e["name"], e["type"]) for e in listing["entries"]] == [
        ("src", "directory"),
        ("logo.bin", "file"),
        ("README.md", "file"),
    ]
    readme = listing["entries"][2]
    assert readme["path"] == "README.md" and readme["size"] == 8 and readme["modifiedAt"].endswith("Z")


def test_it_lists_a_subfolder_with_paths_relative_to_the_project(owner_device, project, layout):
    os.symlink("main.py", layout[0] / "src" / "link.py")
    [listing] = calls(owner_device, ("files.list", {"projectId": project.id, "path": "src/"}))
    assert listing["path"] == "src"
    assert {e["path"]: e["type"] for e in listing["entries"]} == {"src/link.py": "symlink", "src/main.py": "file"}


def test_it_reads_text_as_utf8_and_binary_as_base64(owner_device, project):
    text, binary = calls(
        owner_device,
        ("files.read", {"projectId": project.id, "path": "README.md"}),
        ("files.read", {"projectId": project.id, "path": "logo.bin"}),
    )
    assert text == {
        "path": "README.md",
        "content": "# hello\n",
        "encoding": "utf-8",
        "binary": False,
        "size": 8,
        "sha256": sha(b"# hello\n"),
    }
    assert binary["encoding"] == "base64" and binary["binary"] is True
    assert base64.b64decode(binary["content"]) == b"\x89PNG\x00\xff"


def test_it_refuses_to_read_a_file_over_the_size_limit(owner_device, project, layout):
    size = files.FILE_SIZE_LIMIT_BYTES + 1
    (layout[0] / "big.log").write_bytes(b"x" * size)
    [error] = calls(owner_device, ("files.read", {"projectId": project.id, "path": "big.log"}))
    assert error["code"] == -32010
    assert error["data"] == {"size": size, "limit": files.FILE_SIZE_LIMIT_BYTES}
    assert "limit" in error["message"]


def test_it_reports_a_missing_file_and_a_folder_read_as_a_file(owner_device, project):
    missing, folder = calls(
        owner_device,
        ("files.read", {"projectId": project.id, "path": "nope.txt"}),
        ("files.read", {"projectId": project.id, "path": "src"}),
    )
    assert missing["code"] == -32004
    assert folder["code"] == -32602


def test_it_writes_a_new_file_and_reads_it_back(owner_device, project, layout):
    written, read = calls(
        owner_device,
        ("files.write", {"projectId": project.id, "path": "src/new.py", "content": "x = 1\n"}),
        ("files.read", {"projectId": project.id, "path": "src/new.py"}),
    )
    assert written == {"path": "src/new.py", "sha256": sha(b"x = 1\n"), "size": 6}
    assert read["content"] == "x = 1\n" and read["sha256"] == written["sha256"]


def test_it_writes_base64_content_byte_for_byte(owner_device, project, layout):
    data = bytes(range(256))
    calls(
        owner_device,
        (
            "files.write",
            {"projectId": project.id, "path": "blob", "content": base64.b64encode(data).decode(), "encoding": "base64"},
        ),
    )
    assert (layout[0] / "blob").read_bytes() == data


def test_it_overwrites_when_the_expected_hash_matches(owner_device, project, layout):
    params = {"projectId": project.id, "path": "README.md", "content": "new", "expectedSha256": sha(b"# hello\n")}
    [written] = calls(owner_device, ("files.write", params))
    assert written["sha256"] == sha(b"new")
    assert (layout[0] / "README.md").read_text() == "new"


def test_it_refuses_a_write_over_a_file_that_changed_since_it_was_read(owner_device, project, layout):
    (layout[0] / "README.md").write_text("changed by someone else")
    params = {"projectId": project.id, "path": "README.md", "content": "mine", "expectedSha256": sha(b"# hello\n")}
    [error] = calls(owner_device, ("files.write", params))
    assert error["code"] == -32009
    assert error["data"] == {"actualSha256": sha(b"changed by someone else")}
    assert (layout[0] / "README.md").read_text() == "changed by someone else"


def test_a_write_without_an_expected_hash_overwrites_whatever_is_there(owner_device, project, layout):
    calls(owner_device, ("files.write", {"projectId": project.id, "path": "README.md", "content": "plain"}))
    assert (layout[0] / "README.md").read_text() == "plain"


def test_a_write_keeps_the_file_mode_and_leaves_no_temporary_file(owner_device, project, layout):
    script = layout[0] / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    calls(owner_device, ("files.write", {"projectId": project.id, "path": "run.sh", "content": "#!/bin/sh\necho\n"}))
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert sorted(p.name for p in layout[0].iterdir()) == ["README.md", "logo.bin", "run.sh", "src"]


def test_of_two_writes_expecting_the_same_content_exactly_one_wins(layout):
    root = str(layout[0])
    expected = sha(b"# hello\n")
    outcomes = []

    def write(text):
        try:
            files.write_file(root, "README.md", text.encode(), expected)
            outcomes.append("won")
        except files.Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(f"writer {n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]


def test_it_refuses_a_write_into_a_missing_folder_or_over_a_folder(owner_device, project):
    missing, folder = calls(
        owner_device,
        ("files.write", {"projectId": project.id, "path": "nope/a.txt", "content": "x"}),
        ("files.write", {"projectId": project.id, "path": "src", "content": "x"}),
    )
    assert missing["code"] == -32004
    assert folder["code"] == -32602


def test_it_refuses_a_write_over_the_size_limit(owner_device, project):
    content = "x" * (files.FILE_SIZE_LIMIT_BYTES + 1)
    [error] = calls(owner_device, ("files.write", {"projectId": project.id, "path": "big", "content": content}))
    assert error["code"] == -32010


@pytest.mark.parametrize(
    "path",
    ["../outside/secret.txt", "src/../../outside/secret.txt", "/etc/passwd", "README.md\x00.txt", "..", "src/.."],
)
def test_it_refuses_paths_that_are_absolute_climb_out_or_hold_a_nul(owner_device, project, path):
    read, listing, write = calls(
        owner_device,
        ("files.read", {"projectId": project.id, "path": path}),
        ("files.list", {"projectId": project.id, "path": path}),
        ("files.write", {"projectId": project.id, "path": path, "content": "pwned"}),
    )
    assert read["code"] == listing["code"] == write["code"] == -32602


def test_it_refuses_a_symlink_to_a_file_outside_the_project(owner_device, project, layout):
    root, outside = layout
    os.symlink(outside / "secret.txt", root / "innocent.txt")
    read, write = calls(
        owner_device,
        ("files.read", {"projectId": project.id, "path": "innocent.txt"}),
        ("files.write", {"projectId": project.id, "path": "innocent.txt", "content": "pwned"}),
    )
    assert read["code"] == write["code"] == -32602
    assert "outside" in read["message"]
    assert (outside / "secret.txt").read_text() == "do not read"


def test_it_refuses_a_path_through_a_symlinked_folder_outside_the_project(owner_device, project, layout):
    root, outside = layout
    os.symlink(outside, root / "src" / "escape")
    read, listing, write = calls(
        owner_device,
        ("files.read", {"projectId": project.id, "path": "src/escape/secret.txt"}),
        ("files.list", {"projectId": project.id, "path": "src/escape"}),
        ("files.write", {"projectId": project.id, "path": "src/escape/new.txt", "content": "pwned"}),
    )
    assert read["code"] == listing["code"] == write["code"] == -32602
    assert not (outside / "new.txt").exists()


def test_it_refuses_a_write_through_a_dangling_symlink_that_points_outside(owner_device, project, layout):
    root, outside = layout
    os.symlink(outside / "planted.txt", root / "dangling")
    [error] = calls(owner_device, ("files.write", {"projectId": project.id, "path": "dangling", "content": "pwned"}))
    assert error["code"] == -32602
    assert not (outside / "planted.txt").exists()


def test_it_follows_a_symlink_that_stays_inside_the_project(owner_device, project, layout):
    root, _ = layout
    os.symlink("src/main.py", root / "main-link.py")
    read, _ = calls(
        owner_device,
        ("files.read", {"projectId": project.id, "path": "main-link.py"}),
        ("files.write", {"projectId": project.id, "path": "main-link.py", "content": "print('edited')\n"}),
    )
    assert read["content"] == "print('hi')\n"
    assert (root / "src" / "main.py").read_text() == "print('edited')\n"
    assert (root / "main-link.py").is_symlink()


def test_it_refuses_writes_into_the_git_folder_even_through_a_symlink(owner_device, project, layout):
    root, _ = layout
    (root / ".git" / "hooks").mkdir(parents=True)
    os.symlink(".git/hooks", root / "hooks")
    direct, linked = calls(
        owner_device,
        ("files.write", {"projectId": project.id, "path": ".git/hooks/pre-commit", "content": "#!/bin/sh\n"}),
        ("files.write", {"projectId": project.id, "path": "hooks/pre-commit", "content": "#!/bin/sh\n"}),
    )
    assert direct["code"] == linked["code"] == -32602
    assert not (root / ".git" / "hooks" / "pre-commit").exists()


def test_a_read_only_device_can_read_but_not_write(read_only_device, project):
    read, write = calls(
        read_only_device,
        ("files.read", {"projectId": project.id, "path": "README.md"}),
        ("files.write", {"projectId": project.id, "path": "README.md", "content": "x"}),
    )
    assert read["content"] == "# hello\n"
    assert write["code"] == -32001


def test_it_reports_an_unknown_project_and_a_project_whose_folder_is_gone(owner_device, project, layout):
    os.rename(layout[0], layout[0].with_name("moved"))
    unknown, gone = calls(
        owner_device,
        ("files.list", {"projectId": "nope"}),
        ("files.list", {"projectId": project.id}),
    )
    assert unknown["code"] == gone["code"] == -32004
    assert "missing" in gone["message"]

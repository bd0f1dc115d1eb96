"""files.read by range: a file of any size, piece by piece; and paths no filesystem can take."""

from __future__ import annotations

import base64
import os

import pytest

from tests.support.sockets import calls
from workspace import files
from workspace.models import Project
from workspace.rpc import INVALID_PARAMS, TOO_LARGE

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = files.FILE_SIZE_LIMIT_BYTES


@pytest.fixture
def big(tmp_path):
    """A project holding a 5 MiB file of random bytes (over the whole-read limit) and some text."""
    root = tmp_path / "project"
    root.mkdir()
    data = os.urandom(5 * 1024 * 1024)
    (root / "big.bin").write_bytes(data)
    (root / "notes.txt").write_text("alpha beta gamma\n")
    return Project.objects.add(str(root)), data


def piece_bytes(answer: dict) -> bytes:
    content = answer["content"]
    return base64.b64decode(content) if answer["encoding"] == "base64" else content.encode()


def test_a_file_over_the_limit_is_read_whole_piece_by_piece(owner_device, big):
    project, data = big
    [whole] = calls(owner_device, ("files.read", {"projectId": project.id, "path": "big.bin"}))
    assert whole["code"] == TOO_LARGE and whole["data"] == {"size": len(data), "limit": LIMIT}

    pieces, offset = [], 0
    for _ in range(10):  # 5 MiB in 2 MiB pieces: three reads
        [piece] = calls(owner_device, ("files.read", {"projectId": project.id, "path": "big.bin", "offset": offset}))
        assert piece["size"] == len(data) and piece["offset"] == offset
        pieces.append(piece_bytes(piece))
        offset += piece["length"]
        if piece["eof"]:
            break
    assert b"".join(pieces) == data
    assert [len(p) for p in pieces] == [LIMIT, LIMIT, len(data) - 2 * LIMIT]


def test_a_range_of_text_comes_back_as_text(owner_device, big):
    project, _ = big
    [piece] = calls(
        owner_device, ("files.read", {"projectId": project.id, "path": "notes.txt", "offset": 6, "length": 4})
    )
    assert (piece["content"], piece["encoding"], piece["length"], piece["eof"]) == ("beta", "utf-8", 4, False)
    [end] = calls(owner_device, ("files.read", {"projectId": project.id, "path": "notes.txt", "offset": 1000}))
    assert (end["content"], end["length"], end["eof"]) == ("", 0, True)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"offset": -1}, INVALID_PARAMS),
        ({"offset": 0, "length": -5}, INVALID_PARAMS),
        ({"offset": 0, "length": LIMIT + 1}, TOO_LARGE),
        ({"offset": "0"}, INVALID_PARAMS),
    ],
)
def test_a_bad_range_is_the_clients_mistake(owner_device, big, params, code):
    project, _ = big
    [answer] = calls(owner_device, ("files.read", {"projectId": project.id, "path": "big.bin", **params}))
    assert answer["code"] == code


@pytest.mark.parametrize(
    "path",
    ["\ud800", "a/\udfff/b", "x" * 10_000, "d/" * 3000, "n" * 256],
    ids=["surrogate", "surrogate-in-folder", "10k", "deep", "long-name"],
)
def test_a_path_no_filesystem_can_take_is_invalid_params_everywhere(owner_device, big, path):
    project, _ = big
    answers = calls(
        owner_device,
        ("files.read", {"projectId": project.id, "path": path}),
        ("files.list", {"projectId": project.id, "path": path}),
        ("files.write", {"projectId": project.id, "path": path, "content": "x"}),
        ("projects.add", {"path": path}),
        ("filesystem.browse", {"path": path}),
        ("filesystem.createDirectory", {"path": path}),
        ("terminal.open", {"projectId": project.id, "cwd": path, "cols": 80, "rows": 24}),
    )
    assert [answer.get("code") for answer in answers] == [INVALID_PARAMS] * len(answers), answers

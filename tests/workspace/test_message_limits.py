"""Every documented size works end to end over real daphne; anything larger is -32010, never a reset.

And a client that asks for large answers and stops reading is closed (4413), while other sockets
carry on: answers go through the same paced, bounded outbox as terminal output.
"""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.e2e import pair_bearer
from tests.support.server import manage
from workspace.rpc import PARSE_ERROR, TOO_LARGE

MIB = 1024 * 1024
FILE_LIMIT_BYTES = 2 * MIB
TERMINAL_WRITE_LIMIT_BYTES = 1 * MIB
ANSWER_TIMEOUT_SECONDS = 20


@pytest.fixture
def workspace(server, tmp_path):
    """A real server with one project, and a bearer token of an owner device."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "big.txt").write_text("x" * (FILE_LIMIT_BYTES - 10))
    (folder / "controls.txt").write_text("\x01" * (FILE_LIMIT_BYTES // 2))
    added = manage(server.home, "project", "add", str(folder))
    assert added.returncode == 0, added.stderr
    project_id = json.loads(manage(server.home, "project", "list", "--json").stdout)[0]["id"]
    return server, pair_bearer(server)["sessionToken"], project_id


def socket_for(server, token: str, **options):
    return connect(
        server.ws_url,
        additional_headers={"Authorization": f"Bearer {token}"},
        max_size=None,
        open_timeout=10,
        **options,
    )


def ask(ws, method: str, params: dict, request_id: int = 1) -> dict:
    ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
    while True:
        answer = json.loads(ws.recv(timeout=ANSWER_TIMEOUT_SECONDS))
        if answer.get("id") == request_id:
            return answer


def test_a_file_over_a_mebibyte_is_read_and_written_whole(workspace):
    server, token, project = workspace
    with socket_for(server, token) as ws:
        read = ask(ws, "files.read", {"projectId": project, "path": "big.txt"})
        assert read["result"]["size"] == FILE_LIMIT_BYTES - 10
        # One byte in two JSON-escaped as \u0001: the answer is six times the file.
        controls = ask(ws, "files.read", {"projectId": project, "path": "controls.txt"}, 2)
        assert controls["result"]["content"] == "\x01" * (FILE_LIMIT_BYTES // 2)

        written = ask(
            ws, "files.write", {"projectId": project, "path": "new.txt", "content": "y" * FILE_LIMIT_BYTES}, 3
        )
        assert written["result"]["size"] == FILE_LIMIT_BYTES
        escaped = ask(ws, "files.write", {"projectId": project, "path": "c.txt", "content": "\x01" * MIB}, 4)
        assert escaped["result"]["size"] == MIB


def test_a_write_over_the_documented_size_is_answered_with_too_large_and_the_socket_stays(workspace):
    server, token, project = workspace
    with socket_for(server, token) as ws:
        refused = ask(
            ws, "files.write", {"projectId": project, "path": "n.txt", "content": "z" * (FILE_LIMIT_BYTES + 1)}
        )
        assert refused["error"]["code"] == TOO_LARGE
        assert ask(ws, "server.probe", {}, 2)["result"]["ok"] is True


def test_a_mebibyte_of_keystrokes_is_taken_and_more_is_too_large(workspace):
    server, token, project = workspace
    with socket_for(server, token) as ws:
        opened = ask(ws, "terminal.open", {"projectId": project, "cols": 80, "rows": 24, "command": ["cat"]})
        terminal = opened["result"]["terminalId"]
        taken = ask(ws, "terminal.write", {"terminalId": terminal, "data": "a" * TERMINAL_WRITE_LIMIT_BYTES}, 2)
        assert taken.get("result") == {"ok": True} or taken["error"]["code"] == TOO_LARGE, taken
        over = ask(ws, "terminal.write", {"terminalId": terminal, "data": "a" * (TERMINAL_WRITE_LIMIT_BYTES + 1)}, 3)
        assert over["error"]["code"] == TOO_LARGE
        assert ask(ws, "terminal.close", {"terminalId": terminal}, 4)["result"]["ok"] is True


def test_deeply_nested_json_is_a_parse_error_not_a_closed_socket(workspace):
    server, token, _ = workspace
    with socket_for(server, token) as ws:
        ws.send("[" * 100_000 + "]" * 100_000)
        answer = json.loads(ws.recv(timeout=ANSWER_TIMEOUT_SECONDS))
        assert (answer["id"], answer["error"]["code"]) == (None, PARSE_ERROR)
        assert ask(ws, "server.probe", {}, 2)["result"]["ok"] is True


def test_a_frame_larger_than_any_message_closes_with_1009_not_a_reset(workspace):
    server, token, _ = workspace
    with socket_for(server, token) as ws, pytest.raises(ConnectionClosed) as closed:
        # The server may close while the client is still sending the frame: then send() itself says so.
        ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "server.probe", "params": {"x": "q" * (17 * MIB)}}))
        ws.recv(timeout=ANSWER_TIMEOUT_SECONDS)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_a_client_that_stops_reading_its_answers_is_closed_and_others_carry_on(workspace):
    server, token, project = workspace
    # max_queue=1: the client library stops reading the network once one message waits unread.
    with socket_for(server, token, max_queue=1) as greedy, socket_for(server, token) as other:
        asked = 60
        for request_id in range(1, asked + 1):
            greedy.send(
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": request_id,
                        "method": "files.read",
                        "params": {"projectId": project, "path": "big.txt"},
                    }
                )
            )
        assert ask(other, "server.probe", {}, 1)["result"]["ok"] is True
        received = 0
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(asked + 1):
                greedy.recv(timeout=ANSWER_TIMEOUT_SECONDS)
                received += 1
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4413
        assert received < asked
        assert ask(other, "server.probe", {}, 2)["result"]["ok"] is True

"""terminal.* over /ws with real PTYs, real shells and real processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import time

import psutil
import pytest
from channels.db import database_sync_to_async
from websockets.sync.client import connect

from tests.support.server import manage
from tests.support.terminals import FRAME_TIMEOUT_SECONDS, SIZE, TerminalSocket, gone, pids_in, run, wait_until_gone
from tests.support.waiting import eventually
from workspace.models import Project, TerminalRecord
from workspace.terminals import registry
from workspace.terminals.scrollback import SCROLLBACK_LIMIT_CHARS, Scrollback

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_echoes_what_is_typed_into_the_users_shell(owner_device):
    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        terminal_id = (await socket.call("terminal.open", **SIZE))["terminalId"]
        await socket.call("terminal.write", terminalId=terminal_id, data="echo round-$((20 + 1))\n")
        assert "round-21" in await socket.output_until(terminal_id, "round-21")
        await socket.close()

    run(scenario)


def test_it_gives_the_program_an_xterm_in_the_folder_asked_for(owner_device, tmp_path):
    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        opened = await socket.call("terminal.open", cwd=str(tmp_path), command='echo "$TERM in $PWD"', **SIZE)
        frames, exit_code = await socket.until_exit(opened["terminalId"])
        assert f"xterm-256color in {tmp_path}" in "".join(frames)
        assert exit_code == 0
        await socket.close()

    run(scenario)


def test_it_shows_a_resize_to_the_program_as_sigwinch_and_in_stty_size(owner_device):
    # `wait` returns at once on a trapped signal (a `read` would hold the trap until its line ends).
    program = "trap 'echo \"winch $(stty size)\"' WINCH; stty size; while :; do sleep 600 & wait $!; done"

    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        terminal_id = (await socket.call("terminal.open", command=["bash", "-c", program], cols=80, rows=24))[
            "terminalId"
        ]
        assert "24 80" in await socket.output_until(terminal_id, "24 80")
        await socket.call("terminal.resize", terminalId=terminal_id, cols=132, rows=43)
        assert "winch 43 132" in await socket.output_until(terminal_id, "winch 43 132")
        listed = (await socket.call("terminal.list"))["terminals"]
        assert [(t["cols"], t["rows"]) for t in listed] == [(132, 43)]
        await socket.close()

    run(scenario)


def test_it_reports_the_exit_code_to_the_socket_the_list_and_the_record(owner_device):
    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        terminal_id = (await socket.call("terminal.open", command="echo bye; exit 3", **SIZE))["terminalId"]
        frames, exit_code = await socket.until_exit(terminal_id)
        assert "bye" in "".join(frames)
        assert exit_code == 3
        [listed] = (await socket.call("terminal.list"))["terminals"]
        assert (listed["terminalId"], listed["exited"], listed["exitCode"]) == (terminal_id, True, 3)
        record = await database_sync_to_async(TerminalRecord.objects.get)(pk=terminal_id)
        assert record.exit_code == 3 and record.exited_at is not None
        assert await socket.error_code("terminal.write", terminalId=terminal_id, data="x") == -32009
        await socket.close()

    run(scenario)


def test_it_replays_scrollback_after_reconnect_then_continues_live(owner_device):
    async def scenario():
        first = await TerminalSocket.open(owner_device)
        terminal_id = (await first.call("terminal.open", **SIZE))["terminalId"]
        await first.call("terminal.write", terminalId=terminal_id, data="echo before-$((1 + 1))\n")
        await first.output_until(terminal_id, "before-2")
        await first.close()

        second = await TerminalSocket.open(owner_device)
        assert [t["terminalId"] for t in (await second.call("terminal.list"))["terminals"]] == [terminal_id]
        attached = await second.call("terminal.attach", terminalId=terminal_id)
        assert "before-2" in attached["scrollback"]
        assert (attached["exited"], attached["exitCode"]) == (False, None)
        await second.call("terminal.write", terminalId=terminal_id, data="echo after-$((2 + 2))\n")
        assert "after-4" in await second.output_until(terminal_id, "after-4")
        await second.close()

    run(scenario)


def test_it_sends_every_attached_socket_the_same_live_output(owner_device, client_device):
    async def scenario():
        opener, watcher = await TerminalSocket.open(owner_device), await TerminalSocket.open(client_device)
        terminal_id = (await opener.call("terminal.open", command=["cat"], **SIZE))["terminalId"]
        await watcher.call("terminal.attach", terminalId=terminal_id)
        await watcher.call("terminal.write", terminalId=terminal_id, data="héllo wörld ✓\n")
        for socket in (opener, watcher):
            assert "héllo wörld ✓" in await socket.output_until(terminal_id, "✓\r\n")
        await opener.close()
        await watcher.close()

    run(scenario)


def test_it_never_splits_a_character_written_in_two_pieces(owner_device):
    # The three bytes of ✓ reach the PTY in two writes, so in two reads.
    program = r"printf 'tick \342\234'; sleep 0.2; printf '\223 done\n'"

    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        terminal_id = (await socket.call("terminal.open", command=["bash", "-c", program], **SIZE))["terminalId"]
        frames, _ = await socket.until_exit(terminal_id)
        assert "".join(frames) == "tick ✓ done\r\n"
        assert (await socket.call("terminal.attach", terminalId=terminal_id))["scrollback"] == "tick ✓ done\r\n"
        await socket.close()

    run(scenario)


def test_the_scrollback_keeps_the_most_recent_output_from_the_start_of_a_line():
    scrollback = Scrollback(limit_chars=100)
    for number in range(50):
        scrollback.append(f"line {number:02}\n")
    kept = scrollback.text()
    assert len(kept) <= 100
    assert kept.startswith("line ") and kept.endswith("line 49\n")
    scrollback.append("x" * 250)
    assert scrollback.text() == "x" * 100


def test_it_delivers_large_output_complete_in_order_and_in_few_frames(owner_device):
    count = 200_000

    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        opened = await socket.call("terminal.open", command=["seq", "1", str(count)], **SIZE)
        frames, exit_code = await socket.until_exit(opened["terminalId"])
        assert exit_code == 0
        output = "".join(frames)
        assert output.split("\r\n") == [str(n) for n in range(1, count + 1)] + [""]
        # A PTY read is about 1 KiB here: one frame per read would be over a thousand frames.
        assert len(frames) <= len(output) // (8 * 1024)
        assert max(len(frame) for frame in frames) <= 64 * 1024
        replay = (await socket.call("terminal.attach", terminalId=opened["terminalId"]))["scrollback"]
        assert len(replay) <= SCROLLBACK_LIMIT_CHARS
        assert output.endswith(replay) and replay.endswith(f"\r\n{count}\r\n")
        await socket.close()

    run(scenario)


def test_it_kills_the_whole_process_group_on_close_even_what_ignores_sighup(owner_device):
    program = (
        'trap "" HUP; sleep 600 & echo "child=$!"; setsid sleep 600 & echo "escaped=$!"; echo "shell=$$ ready"; wait'
    )

    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        terminal_id = (await socket.call("terminal.open", command=["bash", "-c", program], **SIZE))["terminalId"]
        output = await socket.output_until(terminal_id, " ready")
        pids = pids_in(output, "child") + pids_in(output, "escaped") + pids_in(output, "shell")
        assert len(pids) == 3
        closed = await socket.call("terminal.close", terminalId=terminal_id)
        assert closed["exitCode"] == 137
        assert await asyncio.to_thread(wait_until_gone, pids) == []
        assert await socket.error_code("terminal.attach", terminalId=terminal_id) == -32004
        await socket.close()

    run(scenario)


def test_closing_a_terminal_ends_what_left_both_its_process_tree_and_its_session_unless_told_to_stay(owner_device):
    # The subshell exits at once: its setsid children belong to no process of the terminal, nor to its session.
    program = (
        '(setsid sleep 600 & echo "escaped=$!"; env -u T3SITE_TERMINAL_ID setsid sleep 600 & echo "kept=$!"); '
        'echo "shell=$$ ready"; exec sleep 600'
    )

    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        terminal_id = (await socket.call("terminal.open", command=["sh", "-c", program], **SIZE))["terminalId"]
        output = await socket.output_until(terminal_id, " ready")
        [escaped], [kept] = pids_in(output, "escaped"), pids_in(output, "kept")
        try:
            leader = psutil.Process(registry.get(terminal_id).pid)
            assert escaped not in [child.pid for child in leader.children(recursive=True)]
            # $! is known as soon as each is forked, a moment before setsid has made it a session of its own.
            left = await asyncio.to_thread(
                eventually, lambda: os.getsid(escaped) == escaped and os.getsid(kept) == kept, 5
            )
            assert left and os.getsid(escaped) != leader.pid
            await socket.call("terminal.close", terminalId=terminal_id)
            assert await asyncio.to_thread(wait_until_gone, [escaped]) == []
            assert not gone(kept)
        finally:
            for pid in (escaped, kept):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        await socket.close()

    run(scenario)


def test_it_starts_in_the_project_folder_and_another_process_can_stop_it(owner_device, tmp_path):
    async def scenario():
        project = await database_sync_to_async(Project.objects.create)(path=str(tmp_path), title="demo")
        socket = await TerminalSocket.open(owner_device)
        terminal_id = (await socket.call("terminal.open", projectId=project.id, **SIZE))["terminalId"]
        await socket.call("terminal.write", terminalId=terminal_id, data="echo at-$PWD-$((3 * 3))\n")
        assert f"at-{tmp_path}-9" in await socket.output_until(terminal_id, "-9")

        [record] = await database_sync_to_async(TerminalRecord.objects.live_for_project)(project.id)
        assert (record.id, record.cwd) == (terminal_id, str(tmp_path))
        # As `manage.py project remove --force` does it from another process: by pid, through the record.
        await asyncio.to_thread(record.kill)
        _, exit_code = await socket.until_exit(terminal_id)
        assert exit_code == 129
        assert await database_sync_to_async(TerminalRecord.objects.live_for_project)(project.id) == []
        await socket.close()

    run(scenario)


def test_it_closes_every_terminal_of_a_project_for_its_removal(owner_device, tmp_path):
    async def scenario():
        project = await database_sync_to_async(Project.objects.create)(path=str(tmp_path), title="demo")
        socket = await TerminalSocket.open(owner_device)
        opened = [await socket.call("terminal.open", projectId=project.id, **SIZE) for _ in range(2)]
        other = await socket.call("terminal.open", command=["cat"], **SIZE)
        removed = await socket.call("projects.remove", id=project.id, force=True)
        assert removed["closedTerminals"] == 2
        for terminal in opened:
            await socket.until_exit(terminal["terminalId"])
        listed = (await socket.call("terminal.list"))["terminals"]
        assert [t["terminalId"] for t in listed if not t["exited"]] == [other["terminalId"]]
        await socket.close()

    run(scenario)


def test_it_refuses_terminals_to_a_session_without_the_terminal_scope(read_only_device):
    async def scenario():
        socket = await TerminalSocket.open(read_only_device)
        assert await socket.error_code("terminal.open", **SIZE) == -32001
        assert await socket.error_code("terminal.list") == -32001
        await socket.close()

    run(scenario)


def test_it_answers_not_found_for_an_unknown_terminal_or_project(owner_device):
    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        assert await socket.error_code("terminal.attach", terminalId="nope") == -32004
        assert await socket.error_code("terminal.write", terminalId="nope", data="ls\n") == -32004
        assert await socket.error_code("terminal.resize", terminalId="nope", **SIZE) == -32004
        assert await socket.error_code("terminal.close", terminalId="nope") == -32004
        assert await socket.error_code("terminal.open", projectId="missing", **SIZE) == -32004
        await socket.close()

    run(scenario)


@pytest.mark.parametrize(
    "params",
    [
        {"cols": 0, "rows": 24},
        {"cols": 80, "rows": 1001},
        {"cols": 80},
        {"cols": "80", "rows": 24},
        {**SIZE, "command": []},
        {**SIZE, "command": ""},
        {**SIZE, "command": ["no-such-program-t3site"]},
        {**SIZE, "cwd": "/no/such/folder"},
    ],
)
def test_it_refuses_an_invalid_terminal(owner_device, params):
    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        assert await socket.error_code("terminal.open", **params) == -32602
        assert (await socket.call("terminal.list"))["terminals"] == []
        await socket.close()

    run(scenario)


def test_it_runs_terminals_through_the_real_server_and_stops_them_with_it(server):
    issued = json.loads(manage(server.home, "auth", "session", "issue", "--json").stdout)
    headers = {"Authorization": f"Bearer {issued['sessionToken']}"}
    with connect(server.ws_url, additional_headers=headers) as socket:
        request = {"cols": 80, "rows": 24, "command": 'echo "leader=$$"; exec sleep 600'}
        socket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "terminal.open", "params": request}))
        deadline = time.monotonic() + FRAME_TIMEOUT_SECONDS
        output = ""
        while not re.search(r"leader=\d+\r\n", output):
            frame = json.loads(socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if frame.get("method") == "terminal.output":
                output += frame["params"]["data"]
            else:
                assert "terminalId" in frame["result"], frame
    [leader] = pids_in(output, "leader")
    assert not gone(leader)
    server.stop()
    assert wait_until_gone([leader]) == []
    assert "Traceback" not in "".join(server.output)
    with sqlite3.connect(server.home / "db.sqlite3") as database:
        rows = database.execute("SELECT pid, exited_at IS NOT NULL, exit_code FROM workspace_terminalrecord").fetchall()
    assert rows == [(leader, 1, 129)]

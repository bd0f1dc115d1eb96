"""Terminals that go wrong still end: a stuck relay, a crashing relay, and bounded helper programs."""

from __future__ import annotations

import asyncio
import re

import psutil
import pytest

from tests.support.terminals import SIZE, TerminalSocket, pids_in, run, wait_until_gone
from workspace import gitinfo, providers
from workspace.terminals import registry, terminal

pytestmark = pytest.mark.django_db(transaction=True)


def test_closing_a_terminal_whose_output_never_ends_still_stops_and_forgets_it(owner_device, monkeypatch):
    async def stuck(self) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(terminal.Terminal, "_flush", stuck)
    monkeypatch.setattr(terminal, "CLOSE_GRACE_SECONDS", 0.1)
    monkeypatch.setattr(terminal, "KILL_WAIT_SECONDS", 0.3)

    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        terminal_id = (await socket.call("terminal.open", command="sleep 600", **SIZE))["terminalId"]
        leader = registry.get(terminal_id).pid
        closed = await socket.call("terminal.close", terminalId=terminal_id)
        assert closed == {"ok": True, "exitCode": 128 + 1}  # SIGHUP ended it; only the relay was stuck
        assert (await socket.call("terminal.list"))["terminals"] == []
        assert wait_until_gone([leader]) == []
        await socket.close()

    run(scenario)


def test_a_relay_that_crashes_closes_the_pty_so_the_program_hangs_up(owner_device, monkeypatch):
    seen = []

    def crash(self, text: str) -> None:
        seen.append(text)
        if "leader=" in "".join(seen):
            raise RuntimeError("relay bug")

    monkeypatch.setattr(terminal.Terminal, "_emit", crash)

    async def scenario():
        socket = await TerminalSocket.open(owner_device)
        opened = await socket.call("terminal.open", command='echo "leader=$$"; exec sleep 600', **SIZE)
        found = registry.get(opened["terminalId"])
        deadline = asyncio.get_running_loop().time() + 5
        while not found.exited and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        assert found.exited and found._master == -1
        [leader] = pids_in("".join(seen), "leader")
        assert wait_until_gone([leader]) == []
        await socket.close()

    run(scenario)


def test_a_provider_version_is_read_from_a_bounded_head_of_huge_output(tmp_path):
    cli = tmp_path / "chatty"
    cli.write_text("#!/bin/sh\necho 'chatty 4.5.6'\nhead -c 20000000 /dev/zero\n")
    cli.chmod(0o755)
    assert asyncio.run(providers._ask_version(str(cli))) == "4.5.6"


def test_a_cancelled_provider_version_call_leaves_no_cli_running(tmp_path):
    cli = tmp_path / "slow-cli"
    cli.write_text('#!/bin/sh\necho "pid=$$" > "$0.pid"\nexec sleep 600\n')
    cli.chmod(0o755)
    pid_file = tmp_path / "slow-cli.pid"

    async def scenario():
        asking = asyncio.ensure_future(providers._ask_version(str(cli)))
        while not pid_file.exists() or "\n" not in pid_file.read_text():
            await asyncio.sleep(0.02)
        asking.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asking

    asyncio.run(asyncio.wait_for(scenario(), 10))
    [pid] = [int(found) for found in re.findall(r"pid=(\d+)", pid_file.read_text())]
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_git_keeps_only_the_tail_of_a_flood_on_stderr(monkeypatch):
    monkeypatch.setattr(gitinfo, "STDERR_LIMIT_BYTES", 1000)

    async def scenario() -> bytes:
        reader = asyncio.StreamReader()
        reader.feed_data(b"noise\n" * 1_000_000 + b"fatal: the real reason\n")
        reader.feed_eof()
        return await gitinfo._read_tail(reader, gitinfo.STDERR_LIMIT_BYTES)

    tail = asyncio.run(scenario())
    assert len(tail) == 1000 and tail.endswith(b"fatal: the real reason\n")

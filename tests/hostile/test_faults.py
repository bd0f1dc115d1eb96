"""kill -9 in the middle of the work, then start again: nothing is left half done or running.

The server is killed (SIGKILL: no clean-up runs) while many pairing claims, or many large file
writes, are in flight. After a restart on the same T3SITE_HOME the database is intact
(`manage.py check`, SQLite's integrity check, the listings), every pairing link is either
claimed with its session or still claimable, every answered claim's session works, and every
file holds its old content or its new one, never a mix, with no temporary file left behind,
and no program a terminal started outlives the restart.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import ExitStack
from pathlib import Path

from websockets.sync.client import connect

from tests.hostile.callers import ask
from tests.support.e2e import pair_bearer
from tests.support.http import request
from tests.support.server import command_env, manage, start_server
from tests.support.waiting import eventually

LINKS = 12
CLAIMS_PER_LINK = 6
FILES = 8
WRITES_PER_FILE = 4
MIB = 1024 * 1024
OLD = "o" * (3 * MIB // 2)
NEW = "n" * (3 * MIB // 2)
FIRST_ANSWERS_BEFORE_KILL = 3
WAIT_SECONDS = 20
# A server ends the programs a killed server's terminals left in the background: SIGHUP, 1 s, SIGKILL.
LEFTOVERS_TIMEOUT_SECONDS = 15


# What a person restarting the server would run first: Django's checks, and each listing.
_RESTART_CHECKS = (
    "from django.core.management import call_command\n"
    "call_command('check')\n"
    "for args in (('auth', 'pairing', 'list'), ('auth', 'session', 'list', '--all'), ('project', 'list')):\n"
    "    call_command(*args, '--json')\n"
)


def kill_and_restart(server, env: dict[str, str] | None = None, while_down=lambda: None):
    """SIGKILL the server, check its state folder, and start it again on the same T3SITE_HOME."""
    server.process.kill()
    server.process.wait(timeout=WAIT_SECONDS)
    while_down()
    home = server.home
    with sqlite3.connect(home / "db.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    checked = manage(home, "shell", "-c", _RESTART_CHECKS, env=env)
    assert checked.returncode == 0 and "System check identified no issues" in checked.stdout + checked.stderr, (
        checked.stdout + checked.stderr
    )
    restarted = start_server(home, env=env)
    # The runtime file the killed server left names the new one now.
    assert json.loads((home / "server-runtime.json").read_text())["pid"] == restarted.process.pid
    return restarted


def added_project(home: Path, folder: Path) -> str:
    added = manage(home, "project", "add", str(folder))
    assert added.returncode == 0, added.stderr
    return re.match(r"Added project (\w+):", added.stdout).group(1)


def test_a_kill_during_concurrent_claims_leaves_each_link_claimed_with_its_session_or_claimable(tmp_path):
    home = tmp_path / "home"
    # Each claim comes "through a proxy" from its own address, so the failed-attempt budget
    # (per address) lets every racing claim reach the database.
    env = command_env(home, T3SITE_TRUSTED_PROXIES="127.0.0.1")
    with ExitStack() as cleanup:
        server = start_server(home, env=env)
        cleanup.callback(server.stop)
        owner = {"Authorization": f"Bearer {pair_bearer(server)['sessionToken']}"}
        links = [
            request("POST", f"{server.base_url}/api/auth/pairing-links", {"label": f"link {n}"}, headers=owner).json
            for n in range(LINKS)
        ]

        def claim(number: int, code: str):
            forwarded = {"X-Forwarded-For": f"10.9.{number // 200}.{number % 200 + 1}"}
            try:
                return request("POST", f"{server.base_url}/api/auth/pair", {"token": code}, headers=forwarded)
            except OSError:
                return None  # the server died under it

        with ThreadPoolExecutor(max_workers=24) as pool:
            pending = {
                pool.submit(claim, n, link["token"])
                for n, link in enumerate(link for link in links for _ in range(CLAIMS_PER_LINK))
            }
            done: set = set()
            deadline = time.monotonic() + WAIT_SECONDS
            while len(done) < FIRST_ANSWERS_BEFORE_KILL and time.monotonic() < deadline:
                finished, _ = wait(pending - done, timeout=1, return_when=FIRST_COMPLETED)
                done |= finished
            restarted = kill_and_restart(server, env)
            cleanup.callback(restarted.stop)
            replies = [future.result() for future in pending]

        claimed = [reply.json for reply in replies if reply is not None and reply.status == 200]
        assert len(claimed) < LINKS, "the kill came after every claim: nothing was in flight"
        after = f"{restarted.base_url}/api/auth"
        sessions = request("GET", f"{after}/sessions", headers=owner).json["sessions"]
        states = {
            link["id"]: link["state"]
            for link in request("GET", f"{after}/pairing-links", headers=owner).json["pairingLinks"]
        }
        for link in links:
            paired = [session for session in sessions if session["pairingId"] == link["id"]]
            if states[link["id"]] == "used":
                assert len(paired) == 1, (link["id"], paired)
            else:
                # Never claimed (or claimed in a transaction the kill undid): it still works, once.
                assert (states[link["id"]], paired) == ("active", []), link["id"]
                pair_bearer(restarted, link["token"])
        for answer in claimed:
            seen = request("GET", f"{after}/session", headers={"Authorization": f"Bearer {answer['sessionToken']}"})
            assert seen.json["authenticated"] and seen.json["sessionId"] == answer["sessionId"], answer


def stopped(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("T", "t")


def stop_while(pid: int, condition, timeout: float) -> bool:
    """SIGSTOP the process again and again until it is stopped while ``condition()`` holds; return whether it was.

    A kill lands at an instant no test can choose; a stopped process can be looked at first, so
    the kill that follows is known to land in the middle of the work.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        os.kill(pid, signal.SIGSTOP)
        while not stopped(pid):
            time.sleep(0.0001)
        if condition():
            return True
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.0005)
    return False


def writing_nameless_file_in(pid: int, folder: Path) -> bool:
    """Return whether the process is writing a file in ``folder`` that has no name there yet.

    That is how a write must look for most of its time (O_TMPFILE): the new content is named
    only once it is on disk, for the instant until it replaces the old file.
    """
    inside = f"{folder.resolve()}/"
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith(inside) and target.endswith(" (deleted)"):
                return True
    return False


def processes_running(*argv_tails: str) -> dict[str, int]:
    """Return the pid of each running `sleep TAIL` among ``argv_tails``, by tail."""
    found = {}
    for entry in os.listdir("/proc"):
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            if len(argv) >= 2 and argv[0].endswith(b"sleep") and argv[1].decode() in argv_tails:
                found[argv[1].decode()] = int(entry)
    return found


def end_programs(*argv_tails: str) -> None:
    for pid in processes_running(*argv_tails).values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_a_kill_during_large_writes_leaves_each_file_old_or_new_no_temporary_file_and_no_program(tmp_path):
    home, folder = tmp_path / "home", tmp_path / "project"
    folder.mkdir()
    names = [f"file-{n}.txt" for n in range(FILES)]
    for name in names:
        (folder / name).write_text(OLD)
    # A terminal whose programs outlive its server: one in a session of its own, one ignoring SIGHUP.
    # Found among every process of the machine by these arguments: the pid makes them this test run's own,
    # whatever another xdist worker or another checkout's suite runs at the same time.
    marks = [f"{100_000 + os.getpid()}.{n}" for n in (1, 2, 3)]
    line = f"setsid sleep {marks[0]} & nohup sleep {marks[1]} >/dev/null 2>&1 & exec sleep {marks[2]}"

    with ExitStack() as cleanup:
        cleanup.callback(end_programs, *marks)  # whatever happens, no sleep outlives the test
        server = start_server(home)
        cleanup.callback(server.stop)
        project_id = added_project(home, folder)
        headers = {"Authorization": f"Bearer {pair_bearer(server)['sessionToken']}"}
        with ExitStack() as stack:
            sockets = [stack.enter_context(connect(server.ws_url, additional_headers=headers)) for _ in range(4)]
            opened = ask(
                sockets[0], "terminal.open", {"projectId": project_id, "cols": 80, "rows": 24, "command": line}
            )
            assert "result" in opened, opened
            assert eventually(lambda: len(processes_running(*marks)) == len(marks), WAIT_SECONDS)
            # Each file is written several times over: plenty of writes to be caught in, even on a fast disk.
            for n, name in enumerate(names * WRITES_PER_FILE):
                write = {"projectId": project_id, "path": name, "content": NEW}
                sockets[n % len(sockets)].send(
                    json.dumps({"jsonrpc": "2.0", "id": n, "method": "files.write", "params": write})
                )
            # Stopped while it writes the new content of a file, then killed.
            pid = server.process.pid
            caught = stop_while(pid, lambda: writing_nameless_file_in(pid, folder), WAIT_SECONDS)

            def orphaned():  # the two background programs outlive the killed server: the restart must end them
                assert set(processes_running(*marks[:2])) == set(marks[:2])

            restarted = kill_and_restart(server, while_down=orphaned)
            cleanup.callback(restarted.stop)

        assert caught, "no write was seen in progress with its content nameless (a kill then leaves a temporary file)"
        contents = {name: (folder / name).read_text() for name in names}
        mixed = {name: len(text) for name, text in contents.items() if text not in (OLD, NEW)}
        assert mixed == {}, "half-written files"
        assert sorted(path.name for path in folder.iterdir()) == sorted(names), "left behind in the project"
        with connect(restarted.ws_url, additional_headers=headers) as ws:
            listed = ask(ws, "files.list", {"projectId": project_id})["result"]["entries"]
        assert sorted(entry["name"] for entry in listed) == sorted(names)
        # The new server ends what the killed one's terminal left running, as it starts.
        assert eventually(lambda: not processes_running(*marks), LEFTOVERS_TIMEOUT_SECONDS), processes_running(*marks)

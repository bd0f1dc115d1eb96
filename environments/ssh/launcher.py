"""Start, reuse or stop the t3site server under a remote base folder. Runs ON THE REMOTE machine.

The SSH launcher sends this file's source to the remote app's own Python
(`<base>/app/.venv/bin/python - BASE KEY ACTION`) and reads one JSON line back.
It imports nothing but the standard library, so it works whatever version of
t3site is checked out there.

State for each launching target is kept in `<base>/ssh-launch/<key>/`:
`state.json` ({"pid", "port", "mode": "managed"|"external", "startedAt"}) and
`serve.log` (the output of a server this launcher started).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

READY_TIMEOUT_SECONDS = 40
LOCK_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 15
PROBE_TIMEOUT_SECONDS = 3
POLL_SECONDS = 0.2
LOG_TAIL_LINES = 30


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A child of ours that exited but was not reaped yet is not a server.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == 0


def live_server(base: Path) -> dict | None:
    """Return the runtime record of the server running for ``base``, or None.

    The same proof as server.runtime.running_server (the file, a live pid, a descriptor
    answering with this home's environment id), written out here because this script
    must run without Django on a remote whose checkout may differ.
    """
    runtime = _read_json(base / "server-runtime.json")
    if not runtime or not isinstance(runtime.get("port"), int) or not _alive(runtime.get("pid")):
        return None
    host = "[::1]" if runtime.get("bindHost") in ("::", "::1") else "127.0.0.1"
    try:
        url = f"http://{host}:{runtime['port']}/.well-known/t3/environment"
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_SECONDS) as response:  # noqa: S310 - loopback http
            descriptor = json.load(response)
        expected = (base / "environment-id").read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        return None
    return runtime if descriptor.get("environmentId") == expected else None


def _tail(path: Path) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:])
    except OSError:
        return ""


def _lock(base: Path):
    """Hold the launch lock for ``base``: one server per T3SITE_HOME, whichever target launches it."""
    lock_dir = base / "ssh-launch"
    lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle = open(lock_dir / ".lock", "w")  # noqa: SIM115 - kept open while the lock is held
    deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SystemExit(_answer(error="another launch for this folder is still running")) from None
            time.sleep(POLL_SECONDS)


def _answer(**data) -> int:
    print(json.dumps(data), flush=True)
    return 1 if "error" in data else 0


def _write_state(folder: Path, state: dict) -> None:
    tmp = folder / f".state.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, folder / "state.json")


def ensure(base: Path, folder: Path) -> int:
    """Reuse the live server (managed if we started it, external otherwise) or start one."""
    runtime = live_server(base)
    previous = _read_json(folder / "state.json") or {}
    if runtime:
        mine = previous.get("mode") == "managed" and previous.get("pid") == runtime["pid"]
        # A server another target's launcher started stays that launcher's to stop.
        mode = "managed" if mine else "external"
        reused = {"pid": runtime["pid"], "port": runtime["port"], "mode": mode}
        _write_state(folder, {**previous, **reused})
        return _answer(**reused, started=False, environmentId=runtime.get("environmentId"))
    app = base / "app"
    log_path = folder / "serve.log"
    with open(log_path, "ab") as log:
        log.write(f"--- starting t3site at {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
        log.flush()
        process = subprocess.Popen(
            [str(app / ".venv" / "bin" / "python"), "manage.py", "serve", str(Path.home()), "--host", "127.0.0.1"]
            + ["--port", "0", "--no-qr"],
            cwd=app,
            env={**os.environ, "T3SITE_HOME": str(base), "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own session: the server outlives this SSH session and never gets its SIGHUP.
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return _answer(error=f"the server exited with status {process.returncode}", log=_tail(log_path))
        runtime = live_server(base)
        if runtime and runtime.get("pid") == process.pid:
            state = {"pid": process.pid, "port": runtime["port"], "mode": "managed", "startedAt": time.time()}
            _write_state(folder, state)
            return _answer(**state, started=True, environmentId=runtime.get("environmentId"))
        time.sleep(POLL_SECONDS)
    process.terminate()
    return _answer(error=f"the server was not ready within {READY_TIMEOUT_SECONDS} s", log=_tail(log_path))


def stop(base: Path, folder: Path) -> int:
    """Stop the server if this target's launcher started it; forget this target's launch state."""
    state = _read_json(folder / "state.json") or {}
    runtime = live_server(base)
    stopped = False
    # The pid must still be the live server's: a recycled pid must never be signalled.
    if state.get("mode") == "managed" and runtime and runtime.get("pid") == state.get("pid"):
        os.kill(state["pid"], signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while _alive(state["pid"]) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        if _alive(state["pid"]):
            os.kill(state["pid"], signal.SIGKILL)
        stopped = True
    for name in ("state.json", "serve.log"):
        (folder / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()
    return _answer(stopped=stopped, mode=state.get("mode"))


def status(base: Path, folder: Path) -> int:
    """Report the live server and this target's mode for it, without starting anything."""
    runtime = live_server(base)
    if not runtime:
        return _answer(running=False)
    state = _read_json(folder / "state.json") or {}
    mode = "managed" if state.get("mode") == "managed" and state.get("pid") == runtime["pid"] else "external"
    return _answer(running=True, pid=runtime["pid"], port=runtime["port"], mode=mode)


def main(argv: list[str]) -> int:
    base, key, action = Path(argv[0]).expanduser(), argv[1], argv[2]
    with _lock(base):
        folder = base / "ssh-launch" / key
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if action == "ensure":
            return ensure(base, folder)
        if action == "stop":
            return stop(base, folder)
        if action == "status":
            return status(base, folder)
    return _answer(error=f"unknown action {action!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

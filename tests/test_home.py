"""T3SITE_HOME holds the secret (0600) and an environment id that never changes."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from t3site import home
from tests.support.server import ROOT, command_env, manage


def test_it_creates_the_secret_readable_by_its_owner_only(tmp_path):
    secret = home.server_secret(tmp_path)
    assert len(secret) >= 48
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600
    assert home.server_secret(tmp_path) == secret


def test_the_environment_id_is_created_once_even_by_racing_processes(tmp_path):
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(home.environment_id(tmp_path))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(set(seen)) == 1
    assert home.environment_id(tmp_path) == seen[0]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_it_removes_the_runtime_file_only_for_its_own_pid(tmp_path):
    home.write_runtime(tmp_path, {"pid": 123, "port": 1})
    home.remove_runtime(tmp_path, 456)
    assert home.read_runtime(tmp_path)["pid"] == 123
    home.remove_runtime(tmp_path, 123)
    assert home.read_runtime(tmp_path) is None


def test_an_existing_home_open_to_others_is_tightened(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    home.ensure_home(state)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def _read_only(folder: Path) -> list[str]:
    """Return a command prefix under which ``folder`` cannot be written, or skip.

    Root writes through any mode, so as root the folder is bind-mounted read-only in a
    private mount namespace (unshare); anyone else gets mode 0500, undone by the caller.
    """
    if os.geteuid() != 0:
        folder.chmod(0o500)
        return []
    unshare = shutil.which("unshare")
    mount = f"mount --bind '{folder}' '{folder}' && mount -o remount,bind,ro '{folder}' '{folder}'"
    if unshare is None or subprocess.run([unshare, "-m", "sh", "-c", mount], capture_output=True).returncode:
        pytest.skip("cannot make a read-only folder here (root without mount namespaces)")
    return [unshare, "-m", "sh", "-c", f'{mount} && exec "$@"', "sh"]


@pytest.mark.parametrize("fresh", [False, True], ids=["existing home", "home to create"])
def test_a_read_only_home_stops_serve_with_one_line(tmp_path, fresh):
    state = tmp_path / "state"
    if fresh:
        folder, state = tmp_path, tmp_path / "state" / "inner"
    else:
        assert manage(state, "auth", "session", "list").returncode == 0  # database, secret and id made
        folder = state
    prefix = _read_only(folder)
    try:
        result = subprocess.run(
            [*prefix, sys.executable, str(ROOT / "manage.py"), "serve", "--port", "0", "--no-qr"],
            cwd=ROOT,
            env=command_env(state),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        folder.chmod(0o700)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "T3SITE_HOME" in result.stderr and str(state) in result.stderr

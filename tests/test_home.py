"""T3SITE_HOME holds the secret (0600) and an environment id that never changes."""

from __future__ import annotations

import stat
import threading

from t3site import home


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

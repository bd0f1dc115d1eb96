"""The credential store for command-line environments: 0600, atomic, keyed by environmentId."""

from __future__ import annotations

import json
import stat
import threading

from environments import credentials


def test_it_keeps_a_token_by_environment_id_in_a_file_only_its_owner_can_read(tmp_path):
    credentials.put("env-1", "t3s_one", session_id="s1", home=tmp_path)
    assert credentials.get("env-1", home=tmp_path) == "t3s_one"
    assert credentials.get("env-2", home=tmp_path) is None
    file = credentials.path(tmp_path)
    assert file.name == "environment-credentials.json"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert json.loads(file.read_text())["credentials"]["env-1"]["sessionId"] == "s1"


def test_saving_again_replaces_the_token_and_delete_forgets_it(tmp_path):
    credentials.put("env-1", "t3s_old", home=tmp_path)
    credentials.put("env-1", "t3s_new", home=tmp_path)
    assert credentials.get("env-1", home=tmp_path) == "t3s_new"
    assert credentials.delete("env-1", home=tmp_path) is True
    assert credentials.delete("env-1", home=tmp_path) is False
    assert credentials.saved_ids(home=tmp_path) == set()


def test_it_leaves_no_temporary_file_behind(tmp_path):
    credentials.put("env-1", "t3s_one", home=tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_saves_made_at_the_same_time_do_not_lose_each_other(tmp_path):
    threads = [
        threading.Thread(target=credentials.put, args=(f"env-{n}", f"t3s_{n}"), kwargs={"home": tmp_path})
        for n in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert credentials.saved_ids(home=tmp_path) == {f"env-{n}" for n in range(12)}

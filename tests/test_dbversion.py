"""t3site.dbversion: the stamp the cache of resolved sessions trusts moves with every commit, whoever makes it."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection

from pairing.models import PairingCredential
from t3site import dbversion

pytestmark = pytest.mark.django_db(transaction=True)


def commit_elsewhere() -> None:
    """Commit a change on a connection of another program (as `manage.py` in a shell would)."""
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        other.execute("CREATE TABLE IF NOT EXISTS dbversion_probe (n INTEGER)")
        other.execute("INSERT INTO dbversion_probe VALUES (1)")
    finally:
        other.close()


def test_the_stamp_stays_while_nothing_is_committed():
    first = dbversion.current()

    assert first is not None
    assert dbversion.current() == first == dbversion.current()


def test_a_commit_by_another_connection_moves_the_stamp():
    before = dbversion.current()

    commit_elsewhere()

    assert dbversion.current() != before


def test_a_commit_by_djangos_own_connection_moves_it_too():
    before = dbversion.current()
    PairingCredential.objects.issue(label="tablet")

    assert dbversion.current() != before


def test_a_database_made_again_at_the_same_path_is_followed(tmp_path, monkeypatch):
    # A connection to a deleted file would never see another commit: the stamp must not stand still.
    monkeypatch.setattr(dbversion, "FILE_CHECK_SECONDS", 0.0)
    path = tmp_path / "again.sqlite3"
    sqlite3.connect(path).close()
    database = connection.settings_dict
    saved = database["NAME"]
    database["NAME"] = str(path)
    try:
        first = dbversion.current()
        path.unlink()
        made_again = sqlite3.connect(path)
        made_again.execute("CREATE TABLE t (n INTEGER)")
        made_again.close()

        assert dbversion.current()[0] != first[0]  # another connection: earlier stamps never match
    finally:
        database["NAME"] = saved
        dbversion.close()

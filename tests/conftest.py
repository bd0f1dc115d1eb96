"""Personas and servers shared by the whole suite."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest

from tests.settings import MADE_HOME_VARIABLE
from tests.support.server import start_server

# Terminals in these tests run login shells. Where ~/.bashrc runs `pyenv init` (as on this
# project's machines), a rehash lock left by a shell a test killed makes every later login
# wait pyenv's default 60 s; bound that wait for every process the tests start.
os.environ.setdefault("PYENV_REHASH_TIMEOUT", "1")


def pytest_addoption(parser, pluginmanager):
    """Let `-p no:xdist` run the suite serially although pyproject's addopts ask for xdist's workers.

    Without the plugin nothing knows addopts' `-n` and `--dist`, and pytest would stop at them:
    accept them here and do nothing with them. (`-n0` is the other way to run serially.)
    """
    if not pluginmanager.has_plugin("xdist"):
        group = parser.getgroup("xdist", "pytest-xdist is disabled (-p no:xdist): these options are ignored")
        # _addoption: pytest reserves lowercase short options to plugins, and xdist registers `-n` so too.
        group._addoption("-n", "--numprocesses", dest="numprocesses", default=None)
        group.addoption("--dist", dest="dist", default="no")


def pytest_unconfigure(config):
    """Remove the throwaway T3SITE_HOME tests/settings.py made, once the whole run is over.

    Under pytest-xdist the workers' homes are inside it, so only the controller (no worker id)
    removes it, after every worker has ended.
    """
    made = os.environ.get(MADE_HOME_VARIABLE)
    if made and "PYTEST_XDIST_WORKER" not in os.environ:
        shutil.rmtree(made, ignore_errors=True)


@dataclass
class Device:
    """A paired device: its session row and the bearer token it holds."""

    session: object
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}


def _device(role="owner", scopes=None, label="", revoked=False) -> Device:
    from pairing.models import DeviceSession

    session, token = DeviceSession.objects.issue(role=role, scopes=scopes, label=label)
    if revoked:
        session.revoke("test persona")
    return Device(session, token)


@pytest.fixture
def owner_device(db) -> Device:
    return _device("owner", label="owner laptop")


@pytest.fixture
def client_device(db) -> Device:
    return _device("client", label="client phone")


@pytest.fixture
def read_only_device(db) -> Device:
    return _device("client", scopes=["read"], label="read-only tablet")


@pytest.fixture
def read_write_device(db) -> Device:
    """A device that may read and change project files, but not reach beyond projects (no terminal)."""
    return _device("client", scopes=["read", "write"], label="read-write phone")


@pytest.fixture
def revoked_device(db) -> Device:
    return _device("owner", label="lost phone", revoked=True)


@pytest.fixture(autouse=True)
def _fresh_watchers():
    """Start every test with this process's watchers as a new server has them.

    They are per-process singletons: a socket a test never closed, or a marker seen in an
    earlier test's database, would otherwise carry over into the next test.
    """
    from pairing.revocation import watcher as revocations
    from relay.removals import watcher as removals
    from workspace.project_changes import watcher as projects

    for watcher in (revocations, removals, projects):
        watcher.seen = None
        watcher._channels.clear()
        watcher._task = None
    yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def server(tmp_path):
    """A real `manage.py serve` (daphne) on a free loopback port, with its own T3SITE_HOME."""
    running = start_server(tmp_path / "home")
    yield running
    running.stop()

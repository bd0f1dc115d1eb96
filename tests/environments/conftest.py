"""Fixtures for saved environments: a second real server and a port nothing listens on."""

from __future__ import annotations

import socket

import pytest

from tests.support.server import start_server


@pytest.fixture
def unused_port() -> int:
    """Return a loopback port that was free a moment ago: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def backend(tmp_path):
    """A second real `manage.py serve`, with its own T3SITE_HOME: the backend a hosted page pairs with."""
    running = start_server(tmp_path / "backend-home")
    yield running
    running.stop()

"""Fixtures for saved environments: a second real server, a server that is not t3site, a dead port, a real sshd."""

from __future__ import annotations

import socket
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.server import start_server
from tests.support.sshd import install_remote, start_sshd, stop_remote_servers


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


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def plain_http_server(tmp_path):
    """A real HTTP server that is not t3site (no descriptor, no CORS headers); yield its origin."""
    handler = partial(_QuietHandler, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """A real OpenSSH server on a free loopback port, one per test module (tests.support.sshd)."""
    running = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def known_hosts(sshd, tmp_path_factory):
    """A known_hosts file that trusts only the suite's sshd."""
    path = tmp_path_factory.mktemp("client") / "known_hosts"
    path.write_text(sshd.host_public_key)
    return path


@pytest.fixture
def remote(tmp_path):
    """A t3site base folder on the "remote" (this machine, installed from this checkout); its servers die after."""
    folder = install_remote(tmp_path / "remote")
    yield folder
    stop_remote_servers(folder)

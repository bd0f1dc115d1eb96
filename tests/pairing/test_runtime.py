"""Finding the running server: the runtime file alone proves nothing."""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pairing.runtime import running_server
from t3site import home


class _Answer(BaseHTTPRequestHandler):
    body = b"[1, 2]"

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def impostor():
    """A local HTTP server that answers the descriptor path with JSON that is not an object."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_a_runtime_file_of_a_dead_process_is_no_server(settings, tmp_path):
    settings.T3SITE_HOME = tmp_path
    home.write_runtime(tmp_path, {"pid": 2**22 + 12345, "port": 1, "host": "127.0.0.1"})
    assert running_server() is None


def test_an_answer_that_is_not_a_descriptor_is_no_server(settings, tmp_path, impostor, monkeypatch):
    settings.T3SITE_HOME = tmp_path
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # never used: probes go direct
    home.write_runtime(tmp_path, {"pid": os.getpid(), "port": impostor, "host": "127.0.0.1"})
    assert running_server() is None

"""Finding the running server: the runtime file alone proves nothing."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from server.runtime import running_server
from t3site import home
from tests.support.server import manage, start_server


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


@pytest.mark.parametrize("origin", [None, 5, "ftp://127.0.0.1:1"])
def test_a_runtime_file_of_a_live_server_without_an_origin_is_one_line_not_a_key_error(tmp_path, origin):
    server = start_server(tmp_path)
    try:
        path = home.runtime_path(tmp_path)
        record = json.loads(path.read_text())
        if origin is None:
            del record["origin"]
        else:
            record["origin"] = origin
        path.write_text(json.dumps(record))
        for args in (["pair"], ["auth", "pairing", "create"]):
            result = manage(tmp_path, *args)
            assert result.returncode != 0
            assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
            assert "restart `python manage.py serve`" in result.stderr
        listed = json.loads(manage(tmp_path, "auth", "pairing", "list", "--json").stdout)
        assert [link["role"] for link in listed] == ["owner"], "only serve's own: none for a server not named"
    finally:
        server.stop()


@pytest.mark.parametrize("host", [5, ["127.0.0.1"]])
def test_a_runtime_file_whose_host_is_not_an_address_is_no_server(settings, tmp_path, host):
    settings.T3SITE_HOME = tmp_path
    home.write_runtime(tmp_path, {"pid": os.getpid(), "port": 1, "host": host, "origin": "http://127.0.0.1:1"})
    assert running_server() is None

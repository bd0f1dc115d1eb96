"""HTTPS verification against real local servers: each failure has its own readable reason."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from endpoints.verification import verify

THIS_SERVER = "11111111-2222-3333-4444-555555555555"
SLOW_SECONDS = 2


@contextmanager
def answering(status: int = 200, body: bytes = b"", delay: float = 0, tls: ssl.SSLContext | None = None):
    """Run an HTTP(S) server on 127.0.0.1 that answers every GET the same way; yield its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # the slow case writes to a client that has given up: expected, not worth a traceback

    server = Server(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def descriptor(environment_id: str) -> bytes:
    return json.dumps({"environmentId": environment_id, "label": "box", "capabilities": []}).encode()


def self_signed(tmp_path) -> ssl.SSLContext:
    """Return a server TLS context with a freshly made self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t3site test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


def test_it_accepts_a_url_that_answers_with_this_servers_id():
    with answering(body=descriptor(THIS_SERVER)) as url:
        result = verify(url, THIS_SERVER)
    assert result.ok and "answers as this server" in result.reason


def test_a_different_environment_id_is_another_server():
    with answering(body=descriptor("someone-else")) as url:
        result = verify(url, THIS_SERVER)
    assert not result.ok
    assert "different t3site server (environment someone-else)" in result.reason


def test_an_error_page_is_reported_with_its_status():
    with answering(status=502, body=b"<html>Bad gateway</html>") as url:
        result = verify(url, THIS_SERVER)
    assert not result.ok and result.reason == f"{url} answered HTTP 502 instead of this server's descriptor."


def test_a_page_that_is_not_a_descriptor_is_refused():
    with answering(body=b"<html>Welcome to nginx</html>") as url:
        result = verify(url, THIS_SERVER)
    assert not result.ok and "not a t3site descriptor" in result.reason


@pytest.mark.parametrize("body", [b"[1, 2]", b'"environmentId"', b"null", b"42"])
def test_json_that_is_not_an_object_is_not_a_descriptor(body):
    with answering(body=body) as url:
        result = verify(url, THIS_SERVER)
    assert not result.ok and result.reason == f"{url} answered with a page that is not a t3site descriptor."


def test_it_never_asks_through_a_proxy(monkeypatch):
    with answering(body=descriptor("the-proxys-answer")) as proxy, answering(body=descriptor(THIS_SERVER)) as url:
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            monkeypatch.setenv(name, proxy)
        for name in ("no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        result = verify(url, THIS_SERVER)
    assert result.ok, result.reason


def test_a_slow_answer_times_out():
    with answering(body=descriptor(THIS_SERVER), delay=SLOW_SECONDS) as url:
        started = time.monotonic()
        result = verify(url, THIS_SERVER, timeout=0.5)
    assert time.monotonic() - started < SLOW_SECONDS
    assert not result.ok and result.reason == f"{url} did not answer within 0.5 seconds."


def test_a_certificate_this_machine_does_not_trust_is_refused(tmp_path):
    with answering(body=descriptor(THIS_SERVER), tls=self_signed(tmp_path)) as url:
        result = verify(url, THIS_SERVER)
    assert not result.ok
    assert "TLS certificate this machine does not trust" in result.reason
    assert "self-signed" in result.reason or "self signed" in result.reason


def test_nothing_listening_means_it_cannot_be_reached():
    with answering() as url:
        pass
    result = verify(url, THIS_SERVER)
    assert not result.ok and result.reason.startswith(f"{url} cannot be reached")

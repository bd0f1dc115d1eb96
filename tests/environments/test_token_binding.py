"""A browser's bearer token goes only where it was paired: a server row naming another address never gets it.

Real headless Chromium, two real servers (the page's and the backend's) and a small HTTP server on
loopback as the "attacker": it answers like the backend (same environmentId, open CORS) and records
every Authorization header it is sent.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest

from tests.support.browser import chromium, text_of, wait_for

SAVED = "is saved in this browser"


class _Attacker(BaseHTTPRequestHandler):
    """Answer as if it were the saved backend, so a browser would go on to send it a token."""

    environment_id = ""
    seen: list[tuple[str, str, str]] = []

    def _answer(self, status: int, body: dict | None = None) -> None:
        self.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_OPTIONS(self) -> None:
        self._answer(204)

    def do_GET(self) -> None:
        if self.path.startswith("/.well-known/t3/environment"):
            self._answer(200, {"environmentId": self.environment_id, "label": "Workstation"})
        else:
            self._answer(200, {"authenticated": True, "role": "owner", "scopes": ["read", "write"]})

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def attacker():
    """A loopback HTTP server that records what it is sent; yield its handler class (seen, environment_id)."""
    handler = type("Attacker", (_Attacker,), {"seen": [], "environment_id": ""})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield handler
    httpd.shutdown()
    httpd.server_close()


def stored(browser) -> dict:
    return json.loads(browser.execute_script("return localStorage.getItem('t3site.environments')") or "{}")


def post_as_this_page(browser, path: str, body: dict) -> int:
    """POST with the page's own session cookie; return the HTTP status."""
    return browser.execute_async_script(
        """const [path, body, done] = arguments;
           fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
             .then((response) => done(response.status), () => done(0));""",
        path,
        body,
    )


def state_of(browser, environment_id: str, flagged: bool) -> str:
    selector = f'li[data-environment-id="{environment_id}"]' + ("[data-address-differs]" if flagged else "")
    rows = [
        row
        for row in browser.find_elements("css selector", selector)
        if flagged or row.get_attribute("data-address-differs") is None
    ]
    return rows[0].find_element("css selector", '[data-field="state"]').text if rows else ""


def test_a_server_row_with_another_address_never_receives_the_browsers_token(server, backend, attacker):
    with chromium() as browser:
        browser.get(f"{server.base_url}/pair#token={server.token}")
        wait_for(lambda: browser.current_url.rstrip("/") == server.base_url, message="direct pairing here")
        browser.get(f"{server.base_url}/pair?host={quote(backend.base_url, safe='')}#token={backend.token}")
        wait_for(lambda: "and in this server's list" in text_of(browser, "pair-status"), message="hosted pairing")
        [(environment_id, entry)] = stored(browser).items()
        token = entry["sessionToken"]
        attacker.environment_id = environment_id

        # This server's row now names the attacker's address (an admin may; see test_api for write).
        moved = {"environmentId": environment_id, "label": "Workstation", "httpBaseUrl": attacker.origin}
        assert post_as_this_page(browser, "/api/environments", moved) == 200

        browser.get(f"{server.base_url}/environments")
        wait_for(lambda: state_of(browser, environment_id, flagged=False) == "reachable · paired", message="own row")
        assert state_of(browser, environment_id, flagged=True) == "address differs"
        flagged = browser.find_element("css selector", "li[data-address-differs]")
        assert "differs from where this browser paired" in flagged.text
        assert attacker.origin in flagged.text

        browser.get(f"{server.base_url}/?environment={quote(environment_id)}")
        wait_for(lambda: text_of(browser, "app-connection") == "open", message="the socket to the paired backend")
        assert text_of(browser, "app-place-host") == backend.base_url.removeprefix("http://")

    assert not [seen for seen in attacker.seen if token in seen[2]]
    assert not [seen for seen in attacker.seen if seen[2]]  # no credential of any kind

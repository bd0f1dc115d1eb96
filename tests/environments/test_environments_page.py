"""The /environments page in real headless Chromium: merged list, status, rename, remove."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest

from tests.support.browser import chromium, wait_for
from tests.support.http import request
from tests.support.server import manage

SAVED = "is saved in this browser"


class _Troubled(BaseHTTPRequestHandler):
    """A backend that answers its descriptor but fails every session check (503), as an overloaded one would."""

    environment_id = "troubled-backend"

    def _answer(self, status: int, body: dict | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_OPTIONS(self) -> None:
        self._answer(204)

    def do_GET(self) -> None:
        if self.path.startswith("/.well-known/t3/environment"):
            self._answer(200, {"environmentId": self.environment_id, "label": "Troubled"})
        else:
            self._answer(503, {"error": {"code": "busy", "message": "busy, try later"}})

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def troubled():
    """Yield the handler class of a loopback backend whose session checks fail (with .origin and .environment_id)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Troubled)
    _Troubled.origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield _Troubled
    httpd.shutdown()
    httpd.server_close()


def pair_hosted(browser, page_server, backend, code: str) -> None:
    browser.get(f"{page_server.base_url}/pair?host={quote(backend.base_url, safe='')}#token={code}")
    wait_for(lambda: SAVED in browser.find_element("id", "pair-status").text, message="hosted pairing")


def row(browser, environment_id: str):
    return browser.find_element("css selector", f'li[data-environment-id="{environment_id}"]')


def field(browser, environment_id: str, name: str):
    return row(browser, environment_id).find_element("css selector", f'[data-field="{name}"]')


def environment_id_of(server) -> str:
    return json.loads(manage(server.home, "environments", "list", "--json").stdout or "[]")[0]["environmentId"]


def stored(browser) -> dict:
    return json.loads(browser.execute_script("return localStorage.getItem('t3site.environments')") or "{}")


def test_it_lists_a_paired_backend_as_reachable_and_paired_and_renames_it(server, backend):
    with chromium() as browser:
        pair_hosted(browser, server, backend, backend.token)
        [environment_id] = stored(browser)
        browser.get(f"{server.base_url}/environments")
        wait_for(lambda: field(browser, environment_id, "state").text == "reachable · paired", message="the status")
        assert "owner" in field(browser, environment_id, "detail").text
        assert field(browser, environment_id, "where").text == "saved in this browser"
        # The app's address names the backend too: the page may reach only what it names (t3site/csp.py).
        opens = f"/?environment={environment_id}&host={quote(backend.base_url, safe='')}"
        assert field(browser, environment_id, "open").get_attribute("href").endswith(opens)

        field(browser, environment_id, "rename").click()
        name = field(browser, environment_id, "rename-input")
        name.clear()
        name.send_keys("Build box\n")
        wait_for(lambda: field(browser, environment_id, "label").text == "Build box", message="the new name")
        assert stored(browser)[environment_id]["label"] == "Build box"


def test_a_backend_whose_environment_id_changed_is_reported_not_accepted(server, backend):
    with chromium() as browser:
        pair_hosted(browser, server, backend, backend.token)
        # Another server now answers at the saved address: simulate it by changing the saved id.
        browser.execute_script(
            """const all = JSON.parse(localStorage.getItem('t3site.environments'));
               const [entry] = Object.values(all);
               entry.environmentId = 'an-older-server';
               localStorage.setItem('t3site.environments', JSON.stringify({'an-older-server': entry}));"""
        )
        browser.get(f"{server.base_url}/environments")
        wait_for(lambda: field(browser, "an-older-server", "state").text == "descriptor changed", message="the change")
        assert "Another server" in field(browser, "an-older-server", "detail").text


def test_removing_an_environment_forgets_it_everywhere_and_logs_its_session_out(server, backend):
    with chromium() as browser:
        browser.get(f"{server.base_url}/pair#token={server.token}")
        wait_for(lambda: browser.current_url.rstrip("/") == server.base_url, message="direct pairing here")
        pair_hosted(browser, server, backend, backend.token)
        environment_id = environment_id_of(server)
        browser.get(f"{server.base_url}/environments")
        wait_for(lambda: field(browser, environment_id, "where").text.endswith("and on this server"), message="both")

        field(browser, environment_id, "remove").click()
        field(browser, environment_id, "remove").click()  # the second click confirms
        wait_for(lambda: "Removed" in browser.find_element("id", "environments-status").text, message="removal")
        assert stored(browser) == {}
        assert json.loads(manage(server.home, "environments", "list", "--json").stdout) == []
        sessions = json.loads(manage(backend.home, "auth", "session", "list", "--json").stdout)
        assert sessions == []  # the browser's bearer session on the backend was logged out


def test_a_backend_that_stopped_is_shown_unreachable(server, backend):
    with chromium() as browser:
        pair_hosted(browser, server, backend, backend.token)
        [environment_id] = stored(browser)
        backend.stop()
        browser.get(f"{server.base_url}/environments")
        wait_for(lambda: field(browser, environment_id, "state").text == "unreachable", message="the status")
        assert "cannot be reached" in field(browser, environment_id, "detail").text
        # A saved environment has no pairing code waiting: nothing is said about one.
        assert "code" not in field(browser, environment_id, "detail").text


def test_an_unnamed_backend_is_named_by_its_label_and_address_unlike_this_server(server, backend):
    with chromium() as browser:
        pair_hosted(browser, server, backend, backend.token)
        [entry] = stored(browser).values()
        descriptor = request("GET", f"{backend.base_url}/.well-known/t3/environment").json
        here = request("GET", f"{server.base_url}/.well-known/t3/environment").json
        assert entry["label"] == f"{descriptor['label']} · {backend.base_url.removeprefix('http://')}"
        assert entry["label"] != here["label"]  # what the header shows for this server


def test_a_session_the_backend_ended_is_told_apart_from_one_it_was_not_asked_about(server, backend, troubled):
    with chromium() as browser:
        pair_hosted(browser, server, backend, backend.token)
        [environment_id] = stored(browser)
        [session] = json.loads(manage(backend.home, "auth", "session", "list", "--json").stdout)
        manage(backend.home, "auth", "session", "revoke", session["id"])
        # A backend whose session check fails: its answer says nothing about the session.
        browser.execute_script(
            """const all = JSON.parse(localStorage.getItem('t3site.environments'));
               const [environmentId, httpBaseUrl] = arguments;
               all[environmentId] = {...Object.values(all)[0], environmentId, id: 'troubled', label: 'Troubled',
                                     httpBaseUrl, wsBaseUrl: 'ws' + httpBaseUrl.slice(4)};
               localStorage.setItem('t3site.environments', JSON.stringify(all));""",
            troubled.environment_id,
            troubled.origin,
        )
        browser.get(f"{server.base_url}/environments")
        wait_for(lambda: field(browser, environment_id, "state").text == "reachable · session ended", message="ended")
        assert "has ended" in field(browser, environment_id, "detail").text
        wait_for(
            lambda: field(browser, troubled.environment_id, "state").text == "reachable · session not checked",
            message="the failed check",
        )
        detail = field(browser, troubled.environment_id, "detail").text
        assert "busy, try later" in detail
        assert "revoked" not in detail and "ended" not in detail

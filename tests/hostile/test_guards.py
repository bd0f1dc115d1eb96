"""Each promise proven on its own, where two layers would otherwise hide each other's absence.

A mutation run showed that some defences are each backed by another: the 1 s session watcher
closes a revoked session's socket even when the immediate notice is broken; the `..` refusal
and the resolved-path containment of workspace/paths.py each refuse most escapes alone. Here
every layer is checked with the other one out of the way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from pairing.models import DeviceSession
from t3site import watch
from tests.hostile.callers import ANSWER_TIMEOUT_SECONDS
from tests.support.browser import PHONE_WINDOW, chromium, text_of, wait_for
from tests.support.http import request
from tests.support.server import manage, start_server
from tests.support.sockets import bearer, call, close_code, communicator, run
from workspace import files, paths
from workspace.paths import PathRefused

CLOSE_SESSION_ENDED = 4410
# Long enough that the watcher never looks while a test runs: only the notice can close the socket.
WATCHER_ASLEEP_SECONDS = 3600
NOTICE_DEADLINE_SECONDS = 1.5


def revoke_through_api(session: DeviceSession, owner_token: str) -> None:
    answer = Client().delete(f"/api/auth/sessions/{session.pk}", HTTP_AUTHORIZATION=f"Bearer {owner_token}")
    assert answer.status_code == 200 and answer.json()["revoked"], answer.content


def revoke_in_the_admin(session: DeviceSession, owner_token: str) -> None:
    form = {"action": "revoke_selected", "_selected_action": [session.pk], "confirmed": "yes"}
    answer = Client().post("/admin/pairing/devicesession/", form, HTTP_AUTHORIZATION=f"Bearer {owner_token}")
    assert answer.status_code == 302, answer.content


def revoke_with_the_cli(session: DeviceSession, owner_token: str) -> None:
    call_command("auth", "session", "revoke", session.pk)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "revoke", [revoke_through_api, revoke_in_the_admin, revoke_with_the_cli], ids=["api", "admin", "cli"]
)
def test_a_revocation_closes_the_socket_by_its_own_notice_not_the_watcher(monkeypatch, revoke):
    monkeypatch.setattr(watch, "WATCH_INTERVAL_SECONDS", WATCHER_ASLEEP_SECONDS)
    monkeypatch.setattr(watch, "CHANGE_POLL_SECONDS", WATCHER_ASLEEP_SECONDS)
    _, owner_token = DeviceSession.objects.issue(role="owner", label="owner laptop")
    phone, phone_token = DeviceSession.objects.issue(role="client", label="phone")

    async def scenario():
        comm = communicator(headers=bearer(phone_token))
        assert (await comm.connect())[0]
        assert (await call(comm, "server.probe"))["result"]["ok"] is True
        await sync_to_async(revoke)(phone, owner_token)
        assert await close_code(comm, timeout=NOTICE_DEADLINE_SECONDS) == CLOSE_SESSION_ENDED

    run(scenario())
    assert DeviceSession.objects.get(pk=phone.pk).state == "revoked"


def test_a_revoked_session_is_refused_at_the_handshake_whatever_it_presents(hostile_server, minter):
    caller = minter.live("soon revoked", "read")
    ticket = request("POST", f"{hostile_server.base_url}/api/auth/ws-ticket", headers=caller.headers).json["ticket"]
    revoked = manage(hostile_server.home, "auth", "session", "revoke", caller.session_id)
    assert revoked.returncode == 0, revoked.stderr
    # By bearer, and by a ticket minted while the session was live.
    for url, headers in ((hostile_server.ws_url, caller.headers), (f"{hostile_server.ws_url}?ticket={ticket}", {})):
        frames = []
        with connect(url, additional_headers=headers) as ws:
            try:
                ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "server.probe", "params": {}}))
                while True:
                    frames.append(ws.recv(timeout=ANSWER_TIMEOUT_SECONDS))
            except ConnectionClosed:
                pass
        # The close is the first and only thing it gets: not a socket that answers until a watcher notices.
        assert (ws.close_code, frames) == (CLOSE_SESSION_ENDED, []), url


@pytest.fixture
def project(tmp_path) -> Path:
    """A project folder with a subfolder, a link out of it, and a secret next to it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (tmp_path / "secret.txt").write_text("secret")
    root = tmp_path / "project"
    (root / "sub").mkdir(parents=True)
    (root / "README.md").write_text("hello")
    os.symlink(outside, root / "link")
    return root


def without_dot_dot_refusal(monkeypatch) -> None:
    """Turn off the first layer: ``..`` in a path is taken as it is (absolute paths still refused)."""
    original = paths.relative_parts

    def parts_with_dot_dot(relative: str) -> tuple[str, ...]:
        if ".." not in PurePosixPath(relative).parts:
            return original(relative)
        return tuple(part for part in PurePosixPath(relative).parts if part not in ("", "."))

    monkeypatch.setattr(paths, "relative_parts", parts_with_dot_dot)


def without_containment(monkeypatch, root: Path) -> None:
    """Turn off the second layer: where a path resolves to is not compared with the project root."""
    original, real_root = paths.is_inside, os.path.realpath(root)
    monkeypatch.setattr(paths, "is_inside", lambda folder, path: folder == real_root or original(folder, path))


def test_dot_dot_is_refused_even_where_it_would_resolve_inside(project):
    # Only the `..` refusal catches this one: where it resolves is inside the project.
    with pytest.raises(PathRefused, match=r"'\.\.'"):
        files.read_file(str(project), "sub/../README.md")


def test_a_symlink_out_of_the_project_is_refused(project):
    # Only the resolved-path containment catches this one: the path has no `..`.
    with pytest.raises(PathRefused, match="outside the project"):
        files.read_file(str(project), "link/secret.txt")


def test_without_the_dot_dot_refusal_containment_still_refuses_leaving(project, monkeypatch):
    without_dot_dot_refusal(monkeypatch)
    assert paths.confine(project, "sub/../README.md")[1] == project / "README.md"  # the layer is off
    with pytest.raises(PathRefused, match="outside the project"):
        files.read_file(str(project), "../secret.txt")


def test_without_containment_the_dot_dot_refusal_still_refuses_leaving(project, monkeypatch):
    without_containment(monkeypatch, project)
    assert paths.confine(project, "link/secret.txt")[1].read_text() == "secret"  # the layer is off
    with pytest.raises(PathRefused, match=r"'\.\.'"):
        files.read_file(str(project), "../secret.txt")


# Runs before any script of the page: notes when the address first changes (history.replaceState)
# and the address each fetch() is made from.
_WATCH_THE_PAGE = """
window.__t3 = { replaced: null, fetchedFrom: [] };
const replaceState = history.replaceState.bind(history);
history.replaceState = (...args) => {
  if (window.__t3.replaced === null) window.__t3.replaced = performance.now();
  return replaceState(...args);
};
const originalFetch = window.fetch.bind(window);
window.fetch = (...args) => {
  window.__t3.fetchedFrom.push(location.href);
  return originalFetch(...args);
};
"""


def test_the_hosted_pair_page_takes_the_token_out_of_the_address_before_its_first_request(hostile_server, tmp_path):
    backend = start_server(tmp_path / "backend")
    try:
        seen, code = pair_through_hosted_page(hostile_server, backend), backend.token
    finally:
        backend.stop()
    assert seen["replaced"] is not None, "the page never rewrote its address"
    before = [r["url"] for r in seen["requests"] if r["start"] < seen["replaced"]]
    after = [r["url"] for r in seen["requests"] if r["start"] >= seen["replaced"]]
    # Only what the HTML itself names (the page's script and style) loads before the token is gone.
    assert set(before) <= set(seen["loaded"]), before
    assert any(url.startswith(backend.base_url) for url in after), after  # the check is not vacuous
    assert seen["fetchedFrom"] and not any(code in href for href in seen["fetchedFrom"]), seen["fetchedFrom"]


def pair_through_hosted_page(page_server, backend) -> dict:
    """Pair a phone-sized Chromium with ``backend`` through ``page_server``'s /pair; return what the page did."""
    link = f"{page_server.base_url}/pair?host={quote(backend.base_url, safe='')}#token={backend.token}"
    with chromium(PHONE_WINDOW) as browser:
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _WATCH_THE_PAGE})
        browser.get(link)
        wait_for(lambda: "is saved in this browser" in text_of(browser, "pair-status"), message="the saved message")
        return browser.execute_script(
            """
            const loaded = [...document.querySelectorAll("script[src], link[href]")].map((e) => e.src || e.href);
            return {
              ...window.__t3,
              loaded,
              requests: performance.getEntriesByType("resource").map((e) => ({ url: e.name, start: e.startTime })),
            };
            """
        )

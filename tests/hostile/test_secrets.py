"""No secret leaks: after a scenario that issues every kind of credential, none shows anywhere it should not.

The scenario, against a real server (and a second one as a saved environment's backend): pair
with serve's link (bearer) and with an API link (cookie), claim a CLI link, issue a bearer with
`auth session issue`, mint socket tickets (one used, one left), revoke by CLI, API and logout,
and add the backend with `environments add`. Then every pairing code, session token, ticket,
stored digest and server secret is looked for in both servers' logs, every listing (`--json` and
plain, CLI and API), every admin page an owner can reach, and the error answers of the scenario.
Each secret appears only where it is handed over: the answer that creates it.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.hostile.callers import Caller, ask, socket_for
from tests.support.e2e import pair_bearer
from tests.support.http import request
from tests.support.server import manage, start_server

ADMIN_PAGES_MAX = 80


@dataclass
class Scenario:
    server: object
    backend: object
    owner: Caller
    secrets: set[str] = field(default_factory=set)
    error_answers: list[str] = field(default_factory=list)

    def keep(self, *values: str) -> None:
        self.secrets.update(value for value in values if value)

    def api(self, method: str, path: str, body=None, caller: Caller | None = None):
        return request(method, self.server.base_url + path, body, headers=(caller or self.owner).headers)

    def refused(self, reply) -> None:
        """Keep an error answer for the scan; it must be an error."""
        assert reply.status >= 400, reply.body
        self.error_answers.append(reply.body.decode())

    def cli_error(self, *args: str) -> None:
        done = manage(self.server.home, *args)
        assert done.returncode != 0, done.stdout
        self.error_answers.append(done.stdout + done.stderr)


_MARK = "---- command ----"


def run_commands(home: Path, commands: list[list[str]]) -> list[str]:
    """Run management commands in one process, each as `manage.py` would run it; return each one's output.

    One Python start-up for many commands keeps the suite fast; `manage()` still runs the command
    whose error a person would read (one line on stderr).
    """
    code = (
        "from django.core.management import call_command\n"
        f"for args in {commands!r}:\n"
        f"    print({_MARK!r}, flush=True)\n"
        "    call_command(*args)\n"
    )
    done = manage(home, "shell", "-c", code)
    assert done.returncode == 0, done.stderr
    outputs = done.stdout.split(_MARK + "\n")[1:]
    assert len(outputs) == len(commands), done.stdout
    return outputs


def stored_secrets(home: Path) -> set[str]:
    """Return every digest in a server's SQLite database and its server secret."""
    found = {(home / "secret").read_text().strip()}
    with sqlite3.connect(home / "db.sqlite3") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
            for column in (c for c in columns if "digest" in c.lower()):
                query = f'SELECT "{column}" FROM "{table}"'  # noqa: S608 - names from the database's own catalogue
                found.update(row[0] for row in db.execute(query) if row[0])
    return found


def run_scenario(server, backend) -> Scenario:
    owner_pairing = pair_bearer(server, label="owner laptop")
    owner = Caller("owner", owner_pairing["sessionToken"], owner_pairing["sessionId"])
    scene = Scenario(server, backend, owner)
    scene.keep(server.token, owner.token)

    # A link made through the API, claimed by a browser in cookie mode, which then logs out.
    link = scene.api("POST", "/api/auth/pairing-links", {"label": "phone"}).json
    cookie_pairing = request("POST", f"{server.base_url}/api/auth/pair", {"token": link["token"], "mode": "cookie"})
    cookie = re.search(r"t3site_session=([^;]+)", cookie_pairing.headers["set-cookie"]).group(1)
    scene.keep(link["token"], cookie)
    scene.refused(request("POST", f"{server.base_url}/api/auth/pair", {"token": link["token"], "mode": "bearer"}))
    phone = Caller("phone", cookie)
    assert (
        request("POST", f"{server.base_url}/api/auth/logout", headers={"Cookie": f"t3site_session={cookie}"}).status
        == 200
    )
    scene.refused(scene.api("POST", "/api/auth/ws-ticket", caller=phone))

    # Two links made with the CLI, and a bearer for a script issued by it.
    made = run_commands(
        server.home,
        [
            ["auth", "pairing", "create", "--label", "tablet", "--json"],
            ["auth", "pairing", "create", "--json"],
            ["auth", "session", "issue", "--role", "client", "--label", "script", "--json"],
        ],
    )
    cli_link, unused_cli, script = (json.loads(output) for output in made)

    # The first CLI link is claimed; a link made through the API is left unused.
    tablet = pair_bearer(server, cli_link["token"], label="tablet")
    unused_api = scene.api("POST", "/api/auth/pairing-links", {"role": "owner"}).json
    scene.keep(cli_link["token"], tablet["sessionToken"], unused_cli["token"], unused_api["token"])

    # The tablet is revoked with the CLI, the unused links by the CLI and the API; the backend is
    # saved with `environments add` (its bearer lives in this server's credential file).
    run_commands(
        server.home,
        [
            ["auth", "session", "revoke", tablet["sessionId"]],
            ["auth", "pairing", "revoke", unused_cli["id"]],
            ["environments", "add", backend.printed["Pairing URL"], "--label", "build box"],
        ],
    )
    assert scene.api("DELETE", f"/api/auth/pairing-links/{unused_api['id']}").json["revoked"]
    scene.refused(scene.api("GET", "/api/environments", caller=Caller("tablet", tablet["sessionToken"])))
    for code in (unused_cli["token"], unused_api["token"]):
        scene.refused(request("POST", f"{server.base_url}/api/auth/pair", {"token": code}))
    scene.cli_error("environments", "add", backend.printed["Pairing URL"])
    stored = json.loads((server.home / "environment-credentials.json").read_text())["credentials"]
    scene.keep(backend.token, *(entry["sessionToken"] for entry in stored.values()))

    # The script's bearer mints tickets, one used on the socket and one left; then it is revoked through the API.
    scripted = Caller("script", script["sessionToken"], script["sessionId"])
    used_ticket = scene.api("POST", "/api/auth/ws-ticket", caller=scripted).json["ticket"]
    spare_ticket = scene.api("POST", "/api/auth/ws-ticket", caller=scripted).json["ticket"]
    scene.keep(script["sessionToken"], used_ticket, spare_ticket)
    ticket_url = f"{server.ws_url}?ticket={used_ticket}"
    with connect(ticket_url) as ws:
        assert ask(ws, "server.probe")["result"]["ok"]
    with connect(ticket_url) as ws, pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)
    assert scene.api("DELETE", f"/api/auth/sessions/{scripted.session_id}").json["revoked"]
    scene.refused(scene.api("POST", "/api/auth/ws-ticket", caller=scripted))

    scene.keep(*stored_secrets(server.home), *stored_secrets(backend.home))
    return scene


@pytest.fixture(scope="module")
def scene(hostile_server, tmp_path_factory):
    backend = start_server(tmp_path_factory.mktemp("backend") / "home")
    try:
        yield run_scenario(hostile_server, backend)
    finally:
        backend.stop()


def leaks(scene: Scenario, text: str) -> list[str]:
    """Return the secrets ``text`` shows (case-insensitive: pairing codes are typed in any case)."""
    folded = text.casefold()
    return sorted(secret for secret in scene.secrets if secret.casefold() in folded)


def test_the_scenario_issued_what_the_scan_looks_for(scene):
    kinds = {secret[:4] for secret in scene.secrets}
    assert {"t3s_", "t3w_"} <= kinds
    assert sum(len(secret) == 12 for secret in scene.secrets) >= 5  # pairing codes
    assert sum(len(secret) == 64 for secret in scene.secrets) >= 8  # stored digests
    assert leaks(scene, f"Token: {scene.server.token.lower()}") == [scene.server.token]


LISTINGS = [
    [*command, *flag]
    for command in (
        ("auth", "pairing", "list"),
        ("auth", "session", "list"),
        ("auth", "session", "list", "--all"),
        ("environments", "list"),
        ("project", "list"),
    )
    for flag in ((), ("--json",))
]


@pytest.fixture(scope="module")
def listings(scene) -> dict[str, str]:
    """Every listing command's output, by its command line."""
    return {
        " ".join(args): text for args, text in zip(LISTINGS, run_commands(scene.server.home, LISTINGS), strict=True)
    }


@pytest.mark.parametrize("listing", [" ".join(args) for args in LISTINGS])
def test_no_command_listing_shows_a_secret(scene, listings, listing):
    assert listings[listing].strip()
    assert leaks(scene, listings[listing]) == []


def test_no_api_listing_or_socket_answer_shows_a_secret(scene):
    environments = scene.api("GET", "/api/environments").json["environments"]
    assert environments, "the backend was saved"
    shown = [
        scene.api("GET", path).body.decode()
        for path in (
            "/api/auth/session",
            "/api/auth/pairing-links",
            "/api/auth/sessions",
            "/api/environments",
            *(f"/api/environments/{environment['id']}" for environment in environments),
            "/api/endpoints",
        )
    ]
    with socket_for(scene.server, scene.owner) as ws:
        shown += [json.dumps(ask(ws, name)) for name in ("server.info", "projects.list")]
    assert leaks(scene, "\n".join(shown)) == []


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def test_no_admin_page_shows_a_secret(scene):
    """Crawl the admin as its owner (bounded), every list, filter and change page, and scan each."""
    start = f"{scene.server.base_url}/admin/"
    queue, seen, pages = [start], {start}, 0
    while queue and pages < ADMIN_PAGES_MAX:
        url = queue.pop(0)
        reply = request("GET", url, headers=scene.owner.headers)
        assert reply.status == 200, (url, reply.status)
        pages += 1
        html = reply.body.decode()
        assert leaks(scene, html) == [], url
        parser = _Links()
        parser.feed(html)
        for href in parser.hrefs:
            target = urljoin(url, href).split("#")[0]
            path = urlsplit(target).path
            if target.startswith(start) and "logout" not in path and target not in seen:
                seen.add(target)
                queue.append(target)
    visited = " ".join(seen)
    assert "/devicesession/" in visited and "/pairingcredential/" in visited and "/change/" in visited, visited


def test_no_log_shows_a_secret(scene):
    # serve prints its own owner link at start, once, for the person at the machine: that is where it is handed over.
    banner = {f"Token: {scene.server.token}", f"Pairing URL: {scene.server.printed['Pairing URL']}"}
    log = "\n".join(line for line in scene.server.output.splitlines() if line.strip() not in banner)
    backend_banner = {f"Token: {scene.backend.token}", f"Pairing URL: {scene.backend.printed['Pairing URL']}"}
    backend_log = "\n".join(line for line in scene.backend.output.splitlines() if line.strip() not in backend_banner)
    assert leaks(scene, log) == []
    assert leaks(scene, backend_log) == []


def test_no_error_answer_shows_a_secret(scene):
    assert len(scene.error_answers) >= 7
    assert leaks(scene, "\n".join(scene.error_answers)) == []

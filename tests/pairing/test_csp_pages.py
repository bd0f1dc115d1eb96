"""Every page works under the Content-Security-Policy, in real headless Chromium against real servers,
and a page's script cannot reach a backend its address does not name."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.support.browser import chromium, text_of, wait_for
from tests.support.server import manage, start_server

# Installed before any page script runs (DevTools injects it, so the policy does not apply to it): every
# violation of the policy on this origin is kept in sessionStorage, across the page loads of one tab.
RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const seen = JSON.parse(sessionStorage.getItem("csp-violations") || "[]");
  const where = `${event.sourceFile}:${event.lineNumber}`;
  seen.push(`${location.pathname} ${event.effectiveDirective} ${event.blockedURI} ${where}`);
  sessionStorage.setItem("csp-violations", JSON.stringify(seen));
});
"""
# Fetch a URL from the page's own script; answer what happened and which violations it raised.
FETCH_FROM_THE_PAGE = """
const [url, done] = arguments;
const seen = [];
const record = (event) => seen.push([event.effectiveDirective, event.blockedURI]);
document.addEventListener("securitypolicyviolation", record);
fetch(url, { cache: "no-store" }).then(
  async (response) => done({ status: response.status, body: await response.json(), seen }),
  (error) => setTimeout(() => done({ error: String(error), seen }), 200),
);
"""
SHOW_A_QR_CODE = """
const done = arguments[0];
const response = await fetch("/api/endpoints/qr", {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: "http://x" }),
});
const image = document.getElementById("link-qr");
image.onload = () => done(image.naturalWidth);
image.onerror = () => done(0);
image.src = URL.createObjectURL(await response.blob());
image.hidden = false;
"""
OPEN_A_SOCKET_FROM_THE_PAGE = """
const [url, done] = arguments;
const seen = [];
const record = (event) => seen.push([event.effectiveDirective, event.blockedURI]);
document.addEventListener("securitypolicyviolation", record);
const socket = new WebSocket(url);
socket.onerror = socket.onclose = () => setTimeout(() => done({ seen }), 200);
"""


@pytest.fixture
def backend(tmp_path):
    """Another real t3site server: the backend this browser pairs with from the first one's pages."""
    running = start_server(tmp_path / "backend-home")
    yield running
    running.stop()


def new_code(server) -> str:
    return json.loads(manage(server.home, "auth", "pairing", "create", "--json").stdout)["token"]


def violations(browser) -> list[str]:
    return json.loads(browser.execute_script("return sessionStorage.getItem('csp-violations')") or "[]")


def recording(browser):
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    browser.set_script_timeout(15)
    return browser


def click(browser, selector: str) -> None:
    def attempt() -> bool:
        element = browser.find_element(By.CSS_SELECTOR, selector)
        if element.is_displayed() and element.is_enabled():
            element.click()
            return True
        return False

    wait_for(attempt, message=f"{selector} to be clickable")


def test_a_page_script_cannot_reach_a_backend_its_address_does_not_name(server, backend):
    descriptor = f"{backend.base_url}/.well-known/t3/environment"
    with chromium() as browser:
        recording(browser)
        browser.get(f"{server.base_url}/environments")
        refused = browser.execute_async_script(FETCH_FROM_THE_PAGE, descriptor)
        assert "error" in refused and ["connect-src", descriptor] in refused["seen"]
        socket = browser.execute_async_script(OPEN_A_SOCKET_FROM_THE_PAGE, backend.ws_url)
        assert ["connect-src", backend.ws_url] in socket["seen"]
        assert f"/environments connect-src {descriptor}" in " ".join(violations(browser))

        # The same page, its address naming the backend, may: that is how it checks saved environments.
        browser.get(f"{server.base_url}/environments?host={quote(backend.base_url, safe='')}")
        allowed = browser.execute_async_script(FETCH_FROM_THE_PAGE, descriptor)
        assert allowed["status"] == 200 and allowed["seen"] == []
        assert allowed["body"]["environmentId"]

        # A page that talks to no other backend takes nothing from its address.
        browser.get(f"{server.base_url}/settings/connections/?host={quote(backend.base_url, safe='')}")
        refused = browser.execute_async_script(FETCH_FROM_THE_PAGE, descriptor)
        assert ["connect-src", descriptor] in refused["seen"]


def test_the_pages_work_under_the_policy_without_a_single_violation(server, backend, tmp_path):
    folder = tmp_path / "work" / "site"
    folder.mkdir(parents=True)
    manage(server.home, "project", "add", str(folder))
    with chromium() as browser:
        recording(browser)
        browser.get(f"{server.base_url}/pair#token={server.token}")
        wait_for(lambda: text_of(browser, "app-connection") == "open", message="the app, paired directly")

        # The app: a project, a terminal (xterm.js writes <style> elements), a command's output.
        click(browser, "#project-list [data-project-id]")
        click(browser, "#project-terminal")
        # Keys typed before the server has opened the terminal would go nowhere: wait for its id first.
        wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".terminal-pane.active[data-terminal-id]"))
        pane = ".terminal-pane.active .xterm-helper-textarea"
        wait_for(lambda: browser.find_element(By.CSS_SELECTOR, pane)).send_keys("echo csp-$((6*7))\n")
        rows = "return document.querySelector('.terminal-pane.active .xterm-rows')?.textContent || ''"
        wait_for(lambda: "csp-42" in browser.execute_script(rows).replace("csp-$((6*7))", ""), message="the output")

        # The Connections page: a link, and a QR code shown as the page shows it, from a blob: URL (this
        # server listens on loopback only, so the page itself offers no QR: a phone cannot use loopback).
        browser.get(f"{server.base_url}/settings/connections/")
        # The button works before the page has loaded the endpoints; a link needs one chosen.
        wait_for(lambda: browser.find_element(By.ID, "link-endpoint").get_attribute("value"), message="an endpoint")
        click(browser, "#link-create")
        wait_for(lambda: browser.find_element(By.ID, "link-url").get_attribute("value"), message="the link")
        assert browser.execute_async_script(SHOW_A_QR_CODE) > 0

        # The admin, scripts and all, and its forms: the link just made is revoked with an action.
        for path in ("/admin/", "/admin/pairing/devicesession/", "/admin/pairing/pairingcredential/"):
            browser.get(server.base_url + path)
            wait_for(lambda: browser.find_elements(By.ID, "content"), message=f"{path} shown")
        links = json.loads(manage(server.home, "auth", "pairing", "list", "--json").stdout)
        [made_here] = [link["id"] for link in links if link["state"] == "active"]
        click(browser, f'input[name="_selected_action"][value="{made_here}"]')
        Select(browser.find_element(By.NAME, "action")).select_by_value("revoke_selected")
        click(browser, 'button[name="index"]')
        click(browser, 'input[value="Yes, revoke"]')
        wait_for(lambda: "Revoked 1" in browser.find_element(By.TAG_NAME, "body").text, message="the link revoked")
        links = json.loads(manage(server.home, "auth", "pairing", "list", "--json").stdout)
        assert [link["state"] for link in links if link["id"] == made_here] == ["revoked"]

        # /pair's form with another server's address: the page opens that backend's hosted link
        # (its address naming the backend), pairs there under the name typed, and saves it.
        browser.get(f"{server.base_url}/pair")
        browser.find_element(By.ID, "pair-host").send_keys(backend.base_url)
        browser.find_element(By.ID, "pair-token").send_keys(new_code(backend))
        browser.find_element(By.ID, "pair-label").send_keys("Laptop")
        browser.find_element(By.ID, "pair-submit").click()
        wait_for(lambda: "is saved in this browser" in text_of(browser, "pair-status"), message="the saved backend")
        assert browser.current_url == f"{server.base_url}/pair?host={quote(backend.base_url, safe='')}"
        sessions = json.loads(manage(backend.home, "auth", "session", "list", "--json").stdout)
        assert [session["label"] for session in sessions] == ["Laptop"]

        # The app on that backend, then the list of saved environments, which checks it.
        click(browser, "#pair-open")
        wait_for(lambda: text_of(browser, "app-connection") == "open", message="the app on the backend")
        assert f"&host={quote(backend.base_url, safe='')}" in browser.current_url
        browser.get(f"{server.base_url}/environments")
        wait_for(lambda: "host=" in browser.current_url, message="the page naming the saved backend")
        state = '#environments-list [data-field="state"]'
        wait_for(lambda: text_of_selector(browser, state) == "reachable · paired", message="the backend checked")

        assert violations(browser) == []
        # (The recorder itself works: a fetch the policy refuses is recorded.)
        browser.execute_async_script(FETCH_FROM_THE_PAGE, "http://192.0.2.1:9/")
        assert violations(browser) != []


def text_of_selector(browser, selector: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, selector).text


def test_a_session_replaced_at_another_address_is_logged_out_from_the_environments_page(server, backend):
    port = backend.base_url.rsplit(":", 1)[1]
    first_address, second_address = backend.base_url, f"http://localhost:{port}"
    with chromium() as browser:
        recording(browser)
        for address in (first_address, second_address):
            browser.get(f"{server.base_url}/pair?host={quote(address, safe='')}#token={new_code(backend)}")
            wait_for(lambda: "is saved in this browser" in text_of(browser, "pair-status"), message="saved")
        # Pairing the same backend again at another address replaced this browser's session there, but the
        # page could not reach the old address to log it out: it waits in this browser's storage.
        live = json.loads(manage(backend.home, "auth", "session", "list", "--json").stdout)
        assert len(live) == 2
        [waiting] = json.loads(browser.execute_script("return localStorage.getItem('t3site.logouts')"))
        assert waiting["httpBaseUrl"] == first_address

        browser.get(f"{server.base_url}/environments")
        wait_for(
            lambda: browser.execute_script("return localStorage.getItem('t3site.logouts')") is None,
            message="the waiting logout done",
        )
        live = json.loads(manage(backend.home, "auth", "session", "list", "--json").stdout)
        assert len(live) == 1
        assert violations(browser) == []

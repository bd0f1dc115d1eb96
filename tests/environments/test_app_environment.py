"""The app opening a saved environment in real Chromium: the page on one real server, the backend on another."""

from __future__ import annotations

import json
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser import PHONE_WINDOW, chromium, text_of, wait_for
from tests.support.server import manage

SAVED = "is saved in this browser"
TERMINAL_TEXT = "return document.querySelector('.terminal-pane.active .xterm-rows')?.textContent || ''"


@contextmanager
def browser_paired_with(page_server, backend):
    """Yield a phone-sized Chromium that paired with ``backend`` through ``page_server``'s hosted page."""
    with chromium(PHONE_WINDOW) as browser:
        browser.get(f"{page_server.base_url}/pair?host={quote(backend.base_url, safe='')}#token={backend.token}")
        wait_for(lambda: SAVED in text_of(browser, "pair-status"), message="hosted pairing")
        yield browser


def stored(browser) -> dict:
    return json.loads(browser.execute_script("return localStorage.getItem('t3site.environments')") or "{}")


def open_environment(browser, page_server, environment_id: str) -> None:
    browser.get(f"{page_server.base_url}/?environment={quote(environment_id)}")


def open_the_only_environment(browser, page_server) -> str:
    [environment_id] = stored(browser)
    open_environment(browser, page_server, environment_id)
    wait_for(lambda: text_of(browser, "app-connection") == "open", message="the socket to the backend")
    return environment_id


def click(browser, selector: str) -> None:
    """Click the element once it is shown; lists re-render, so find it afresh on every try."""

    def attempt() -> bool:
        element = browser.find_element(By.CSS_SELECTOR, selector)
        if not element.is_displayed():
            return False
        element.click()
        return True

    wait_for(attempt, message=f"{selector} to be clickable")


def sessions_on(server) -> list[dict]:
    return json.loads(manage(server.home, "auth", "session", "list", "--json").stdout)


@pytest.fixture
def project_folder(tmp_path):
    folder = tmp_path / "work" / "site"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("remember the milk\n")
    return folder


def test_the_app_works_with_a_saved_backends_projects_and_terminals(server, backend, project_folder):
    manage(backend.home, "project", "add", str(project_folder))
    with browser_paired_with(server, backend) as browser:
        open_the_only_environment(browser, server)
        host = backend.base_url.removeprefix("http://")
        assert text_of(browser, "app-place-host") == host
        assert browser.find_element(By.ID, "app-place").get_attribute("href") == f"{server.base_url}/environments"
        wait_for(lambda: "site" in text_of(browser, "project-list"), message="the backend's project")
        assert json.loads(manage(server.home, "project", "list", "--json").stdout) == []  # not the page's server

        click(browser, "#project-list [data-project-id]")
        wait_for(lambda: "notes.txt" in text_of(browser, "file-tree"), message="the backend's files")
        click(browser, "#project-terminal")
        wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".terminal-pane.active[data-terminal-id]"))
        browser.find_element(By.CSS_SELECTOR, ".terminal-pane.active .xterm-helper-textarea").send_keys(
            "echo from-$((40+2))\n"
        )
        wait_for(lambda: "from-42" in browser.execute_script(TERMINAL_TEXT), message="the echo from the backend")
        # Admin pages need the page server's own cookie: an environment's admin session does not reach them.
        assert not browser.find_element(By.ID, "app-admin").is_displayed()


def test_the_header_names_the_open_environment_without_overflowing_a_phone(server, backend):
    with browser_paired_with(server, backend) as browser:
        browser.execute_script(
            """const all = JSON.parse(localStorage.getItem('t3site.environments'));
               for (const entry of Object.values(all)) entry.label = 'The build box under the stairs, second shelf';
               localStorage.setItem('t3site.environments', JSON.stringify(all));"""
        )
        open_the_only_environment(browser, server)
        assert text_of(browser, "app-place-label").startswith("The build box")
        assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE_WINDOW[0]
        pill = browser.find_element(By.ID, "app-connection").rect
        assert pill["x"] + pill["width"] <= PHONE_WINDOW[0]


def test_a_backend_whose_environment_id_changed_is_reported_and_not_connected_to(server, backend):
    with browser_paired_with(server, backend) as browser:
        # Another server now answers at the saved address: simulate it by changing the saved id.
        browser.execute_script(
            """const all = JSON.parse(localStorage.getItem('t3site.environments'));
               const [entry] = Object.values(all);
               entry.environmentId = 'an-older-server';
               localStorage.setItem('t3site.environments', JSON.stringify({'an-older-server': entry}));"""
        )
        open_environment(browser, server, "an-older-server")
        wait_for(lambda: text_of(browser, "app-connection") == "environment changed", message="the changed state")
        assert "Another server" in text_of(browser, "app-blocked-title")
        assert "pair with it again" in text_of(browser, "app-blocked-next")
        pair_again = browser.find_element(By.CSS_SELECTOR, "#app-blocked-links a").get_attribute("href")
        assert pair_again == f"{server.base_url}/pair?host={quote(backend.base_url, safe='')}"
        assert browser.execute_script("return window.t3site === undefined")  # no app, so no socket
        assert not browser.find_element(By.ID, "app-paired").is_displayed()


def test_an_environment_this_browser_does_not_hold_says_so_and_links_to_the_list(server):
    with chromium() as browser:
        open_environment(browser, server, "never-paired-here")
        wait_for(lambda: "not saved in this browser" in text_of(browser, "app-blocked-title"), message="the message")
        link = browser.find_element(By.CSS_SELECTOR, "#app-blocked-links a")
        assert link.get_attribute("href") == f"{server.base_url}/environments"


def test_a_stopped_backend_is_reported_unreachable(server, backend):
    with browser_paired_with(server, backend) as browser:
        backend.stop()
        [environment_id] = stored(browser)
        open_environment(browser, server, environment_id)
        wait_for(lambda: text_of(browser, "app-connection") == "unreachable", message="the unreachable state")
        assert "cannot be reached" in text_of(browser, "app-blocked-title")


def test_a_revoked_environment_session_links_to_pairing_with_that_backend_again(server, backend):
    with browser_paired_with(server, backend) as browser:
        open_the_only_environment(browser, server)
        [bearer] = sessions_on(backend)
        assert manage(backend.home, "auth", "session", "revoke", bearer["id"]).returncode == 0
        wait_for(lambda: text_of(browser, "app-connection") == "access ended", message="the ended state")
        link = browser.find_element(By.CSS_SELECTOR, "#app-ended a").get_attribute("href")
        assert link == f"{server.base_url}/pair?host={quote(backend.base_url, safe='')}"


def test_logging_out_of_an_environment_ends_its_session_and_forgets_it(server, backend):
    with browser_paired_with(server, backend) as browser:
        open_the_only_environment(browser, server)
        click(browser, "#app-logout")
        wait_for(lambda: browser.current_url == f"{server.base_url}/environments", message="the environments list")
        assert stored(browser) == {}
        assert sessions_on(backend) == []

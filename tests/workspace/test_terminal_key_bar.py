"""The terminal's key bar on a phone: every key on screen at 390 px, and a narrower screen shows that it scrolls."""

from __future__ import annotations

import pytest

from tests.support.browser import PHONE_WINDOW, chromium, emulate_screen, text_of, wait_for
from tests.support.layout import cut_placeholders, off_screen
from tests.support.server import manage

KEYS = "#terminal-keys button"
NARROW_PHONE = (320, 640)


@pytest.fixture
def terminal_on_a_phone(server, tmp_path):
    """Yield a 390x844 Chromium paired with ``server``, showing a new terminal in a project."""
    folder = tmp_path / "site"
    folder.mkdir()
    manage(server.home, "project", "add", str(folder))
    with chromium(PHONE_WINDOW) as browser:
        browser.get(f"{server.base_url}/pair#token={server.token}")
        wait_for(lambda: text_of(browser, "app-connection") == "open", message="the socket to open")
        tap(browser, "#project-list [data-project-id]")
        tap(browser, "#project-terminal")
        wait_for(lambda: browser.find_element("id", "terminal-keys").is_displayed(), message="the key bar")
        yield browser


def tap(browser, selector: str) -> None:
    def attempt() -> bool:
        element = browser.find_element("css selector", selector)
        if not element.is_displayed():
            return False
        element.click()
        return True

    wait_for(attempt, message=f"{selector} to be tappable")


def test_every_key_is_on_screen_at_390_px(terminal_on_a_phone):
    browser = terminal_on_a_phone
    assert len(browser.find_elements("css selector", KEYS)) == 8
    assert off_screen(browser, KEYS) == []
    assert cut_placeholders(browser) == []  # the line input under the keys


def test_a_narrower_phone_scrolls_the_keys_and_shows_that_more_wait(terminal_on_a_phone):
    browser = terminal_on_a_phone
    emulate_screen(browser, NARROW_PHONE)
    bar = browser.find_element("id", "terminal-keys")
    wait_for(lambda: off_screen(browser, KEYS), message="keys past the edge at 320 px")
    style = browser.execute_script(
        "const s = getComputedStyle(arguments[0]); return [s.overflowX, s.scrollSnapType, s.backgroundAttachment]", bar
    )
    # Shadows that stay put ("scroll") under covers that move with the keys ("local"): one shows on
    # each side where keys wait, none where the bar ends.
    overflow, snap, attachments = style
    assert (overflow, snap) == ("auto", "x")  # "x" is "x proximity"
    assert attachments.startswith("local, local, scroll, scroll")
    browser.execute_script("arguments[0].scrollLeft = arguments[0].scrollWidth", bar)
    wait_for(lambda: "→" not in off_screen(browser, KEYS), message="the last key scrolled into view")

"""The direct pairing page in a real browser: /pair#token=CODE pairs this browser and opens the app."""

from __future__ import annotations

from tests.support.browser import PHONE_WINDOW, chromium, text_of, wait_for


def test_it_pairs_a_phone_sized_browser_and_hides_the_token(server):
    with chromium(PHONE_WINDOW) as browser:
        browser.get(f"{server.base_url}/pair#token={server.token}")
        wait_for(lambda: browser.current_url.rstrip("/") == server.base_url, message="the app after pairing")
        assert server.token not in browser.current_url
        wait_for(lambda: text_of(browser, "app-connection") == "open", message="the socket to open")
        assert "owner" in text_of(browser, "app-device")
        assert "admin" in text_of(browser, "app-scopes")


def test_it_says_so_when_the_link_was_already_used(server):
    with chromium() as browser:
        browser.get(f"{server.base_url}/pair#token={server.token}")
        wait_for(lambda: browser.current_url.rstrip("/") == server.base_url, message="the first pairing")
        browser.delete_all_cookies()
        browser.get(f"{server.base_url}/pair#token={server.token}")
        wait_for(lambda: "not valid" in text_of(browser, "pair-status"), message="the used-link message")
        assert "new link" in text_of(browser, "pair-next")
        assert "#token" not in browser.current_url

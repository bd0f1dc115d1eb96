"""What the pairing and environments pages say, as a phone (390 px wide Chromium) shows it."""

from __future__ import annotations

from urllib.parse import quote

from tests.support.browser import PHONE_WINDOW, chromium, text_of, wait_for
from tests.support.layout import cut_placeholders


def codes_in(browser, element_id: str) -> list[str]:
    return [code.text for code in browser.find_elements("css selector", f"#{element_id} code")]


def test_pair_page_commands_are_shown_as_code_not_as_backticks(server, unused_port):
    with chromium(PHONE_WINDOW) as browser:
        browser.get(f"{server.base_url}/pair")
        wait_for(lambda: codes_in(browser, "pair-next"), message="a command in the hint")
        assert codes_in(browser, "pair-next") == ["python manage.py pair"]
        assert "`" not in browser.execute_script("return document.body.innerText")

        browser.get(f"{server.base_url}/pair?host={quote(f'http://127.0.0.1:{unused_port}', safe='')}")
        wait_for(lambda: "no pairing code" in text_of(browser, "pair-status"), message="the missing-code message")
        assert codes_in(browser, "pair-next") == ["python manage.py pair"]
        assert "`" not in browser.execute_script("return document.body.innerText")


def test_no_placeholder_is_cut_off_on_a_phone(server):
    with chromium(PHONE_WINDOW) as browser:
        browser.get(f"{server.base_url}/pair")
        wait_for(lambda: browser.find_element("id", "pair-form").is_displayed(), message="the pairing form")
        assert cut_placeholders(browser) == []

        browser.get(f"{server.base_url}/pair#token={server.token}")  # an owner sees the SSH form too
        wait_for(lambda: browser.current_url.rstrip("/") == server.base_url, message="the app")
        browser.get(f"{server.base_url}/environments")
        wait_for(lambda: browser.find_element("id", "ssh-add").is_displayed(), message="the SSH form")
        assert cut_placeholders(browser) == []

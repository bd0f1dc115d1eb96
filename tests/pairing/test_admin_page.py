"""The admin in a real Chromium at 1280x900: the state of every device shows without scrolling sideways."""

from __future__ import annotations

from tests.support.browser import DESKTOP_WINDOW, chromium, wait_for
from tests.support.server import manage

# Where each cell's right edge is, and how far the page and the results table can scroll sideways.
MEASURE = """
const right = (el) => el ? el.getBoundingClientRect().right : null;
const results = document.querySelector('.results');
return {
  viewport: document.documentElement.clientWidth,
  pageScroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  tableScroll: results ? results.scrollWidth - results.clientWidth : null,
  stateHeader: right(document.querySelector('th.column-state')),
  stateCells: [...document.querySelectorAll('td.field-state')].map(right),
};
"""


def test_the_lists_show_state_and_this_device_at_1280_px(server):
    for label in ("Grandma's very old Android tablet in the kitchen", "CI runner on the build box downstairs"):
        manage(server.home, "auth", "session", "issue", "--role", "client", "--label", label)
        manage(server.home, "auth", "pairing", "create", "--label", label)
    with chromium(DESKTOP_WINDOW) as browser:
        browser.get(f"{server.base_url}/pair#token={server.token}")
        wait_for(lambda: browser.current_url.rstrip("/") == server.base_url, message="pairing as the owner")
        for listing in ("devicesession", "pairingcredential"):
            browser.get(f"{server.base_url}/admin/pairing/{listing}/")
            wait_for(lambda: browser.find_elements("css selector", "td.field-state"), message=f"the {listing} list")
            seen = browser.execute_script(MEASURE)
            assert seen["pageScroll"] <= 0 and seen["tableScroll"] <= 0, seen
            assert len(seen["stateCells"]) == 3
            assert all(edge <= seen["viewport"] for edge in [seen["stateHeader"], *seen["stateCells"]]), seen
            if listing == "devicesession":
                assert "(this device)" in browser.find_element("css selector", "#result_list").text

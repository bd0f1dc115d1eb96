"""A person at a phone: the steps of a journey test, written as what they do and what they see.

Journey tests (tests/journeys/) walk a user's whole flow in a real, phone-sized Chromium
against a real `manage.py serve`. They assert text on the screen, not API answers, so a
page that pairs but shows nothing, or loads without its styles, fails them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

from tests.support.browser import PHONE_WINDOW, WAIT_SECONDS, chromium, wait_for

ACTIVE_TERMINAL_TEXT = "return document.querySelector('.terminal-pane.active .xterm-rows')?.textContent || ''"
# A stylesheet that loaded gives the page's body this font; the browser's default is a serif.
STYLED_BODY_FONT = "system-ui"


class Person:
    """One browser window in a person's hands, with the steps they take in it."""

    def __init__(self, driver, screens: Path, name: str, close) -> None:
        from selenium.webdriver.common.by import By

        self.driver = driver
        self.closed = False
        self._close = close
        self.by = By
        self.name = name
        self._screens = screens

    # What they do.

    def opens(self, url: str) -> None:
        self.driver.get(url)

    def reloads(self) -> None:
        self.driver.refresh()

    def closes_the_browser(self) -> None:
        self.screenshot("closed")
        self.closed = True
        self._close()

    def taps(self, selector: str, timeout: float = WAIT_SECONDS) -> None:
        """Tap the element once it is shown and enabled (lists re-render: find it afresh on every try)."""

        def attempt() -> bool:
            element = self.driver.find_element(self.by.CSS_SELECTOR, selector)
            if not (element.is_displayed() and element.is_enabled()):
                return False
            self._tap(element)
            return True

        wait_for(attempt, timeout=timeout, message=f"{selector} to be tappable")

    def _tap(self, element) -> None:
        # A person scrolls what they want to tap into the middle of the screen first. WebDriver
        # scrolls it just into view, which after a reload that kept the scroll position can leave
        # it under the page's sticky header bar, and the header takes the click.
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def taps_text(self, text: str, selector: str = "button, a") -> None:
        """Tap the shown button or link whose text is ``text``."""

        def attempt() -> bool:
            for element in self.driver.find_elements(self.by.CSS_SELECTOR, selector):
                if element.is_displayed() and element.is_enabled() and element.text.strip() == text:
                    self._tap(element)
                    return True
            return False

        wait_for(attempt, message=f"a {selector!r} saying {text!r}")

    def types(self, selector: str, text: str, clear: bool = True) -> None:
        field = wait_for(lambda: self._shown(selector), message=f"{selector} to be shown")
        if clear:
            field.clear()
        field.send_keys(text)

    def chooses(self, selector: str, option_text: str) -> None:
        """Pick the option that reads ``option_text`` in the drop-down at ``selector``."""
        from selenium.webdriver.support.select import Select

        Select(wait_for(lambda: self._shown(selector), message=f"{selector} to be shown")).select_by_visible_text(
            option_text
        )

    def accepts_the_confirmation(self) -> str:
        """Say OK to the page's confirm() dialog and return what it asked."""
        alert = wait_for(self._alert, message="a confirmation dialog")
        question = alert.text
        alert.accept()
        return question

    def dismisses_the_confirmation(self) -> str:
        alert = wait_for(self._alert, message="a confirmation dialog")
        question = alert.text
        alert.dismiss()
        return question

    def types_in_the_terminal(self, line: str) -> None:
        self.driver.find_element(self.by.CSS_SELECTOR, ".terminal-pane.active .xterm-helper-textarea").send_keys(
            line + "\n"
        )

    # What they see.

    def screen_text(self) -> str:
        return self.driver.execute_script("return document.body ? document.body.innerText : ''")

    def sees(self, text: str, timeout: float = WAIT_SECONDS) -> None:
        """Wait until ``text`` (a string, or a compiled pattern) is shown on the screen."""
        found = (lambda: text.search(self.screen_text())) if isinstance(text, re.Pattern) else None
        wait_for(found or (lambda: text in self.screen_text()), timeout=timeout, message=f"{text!r} on the screen")

    def does_not_see(self, text: str) -> None:
        assert text not in self.screen_text(), f"{text!r} is on the screen:\n{self.screen_text()}"

    def text_of(self, selector: str) -> str:
        return self.driver.find_element(self.by.CSS_SELECTOR, selector).text

    def sees_in(self, selector: str, text: str, timeout: float = WAIT_SECONDS) -> None:
        wait_for(lambda: text in self.text_of(selector), timeout=timeout, message=f"{text!r} in {selector}")

    def is_shown(self, selector: str) -> bool:
        return bool(self._shown(selector))

    def can_use(self, selector: str) -> bool:
        """Return whether the control ``selector`` is shown and enabled."""
        shown = self._shown(selector)
        return bool(shown) and shown.is_enabled()

    def terminal_text(self) -> str:
        return self.driver.execute_script(ACTIVE_TERMINAL_TEXT)

    def sees_in_the_terminal(self, text: str, after: str = "") -> None:
        wait_for(
            lambda: text in self.terminal_text().replace(after, "") if after else text in self.terminal_text(),
            message=f"{text!r} in the terminal",
        )

    def sees_a_styled_page(self) -> None:
        """Assert that the page's stylesheet and scripts loaded (not only its HTML)."""
        wait_for(
            lambda: STYLED_BODY_FONT in self.driver.execute_script("return getComputedStyle(document.body).fontFamily"),
            message="the page's stylesheet to apply",
        )

    def address(self) -> str:
        return self.driver.current_url

    def screenshot(self, label: str = "last") -> Path:
        self._screens.mkdir(parents=True, exist_ok=True)
        path = self._screens / f"{self.name}-{label}.png"
        self.driver.save_screenshot(str(path))
        return path

    def _shown(self, selector: str):
        for element in self.driver.find_elements(self.by.CSS_SELECTOR, selector):
            if element.is_displayed():
                return element
        return None

    def _alert(self):
        from selenium.common.exceptions import NoAlertPresentException

        try:
            alert = self.driver.switch_to.alert
            alert.text  # noqa: B018 -- raises when no dialog is open
        except NoAlertPresentException:
            return None
        return alert


@contextmanager
def people(screens: Path) -> Iterator[object]:
    """Yield ``open(name, profile=None, routes=None)``, which hands a new phone-sized browser to a person.

    When the journey ends, each browser still open saves a screenshot of its last screen
    under ``screens`` (for a reviewer to look at), then closes. ``profile`` keeps a browser's
    cookies and storage in a folder, so closing and reopening it is the same browser;
    ``routes`` is chromium()'s.
    """
    with ExitStack() as stack:
        opened: list[Person] = []

        def open_browser(
            name: str = "phone", profile: Path | None = None, routes: dict[str, str] | None = None
        ) -> Person:
            own = ExitStack()
            stack.callback(own.close)
            driver = own.enter_context(chromium(PHONE_WINDOW, profile=profile, routes=routes))
            person = Person(driver, screens, name, own.close)
            opened.append(person)
            return person

        try:
            yield open_browser
        finally:
            for person in opened:
                if not person.closed:
                    # A browser that died mid-journey has no screen to save; the journey's own failure says why.
                    with suppress(Exception):
                        person.screenshot()

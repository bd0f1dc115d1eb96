"""Real headless Chromium (Debian's chromium + chromium-driver) through Selenium."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.support.system import require_program
from tests.support.waiting import eventually

PHONE_WINDOW = (390, 844)
DESKTOP_WINDOW = (1280, 900)
WAIT_SECONDS = 15
# Headless Chromium will not make a window narrower than about 500 px: below that, emulate the viewport.
NARROWEST_WINDOW_PX = 500


@contextmanager
def chromium(
    window: tuple[int, int] = DESKTOP_WINDOW, profile: Path | None = None, routes: dict[str, str] | None = None
) -> Iterator[object]:
    """Yield a Selenium driver for headless Chromium; skip when it is not installed.

    ``profile`` keeps the browser's cookies and storage in that folder, so a later
    browser on the same folder is the same browser reopened; by default it is thrown away.
    ``routes`` sends connections for an address to another one (``{"192.0.2.2": "127.0.0.2"}``):
    the page still sees the first address in its URL and Host header, so a "device on the
    LAN" can be played by a browser whose packets stay on loopback.
    """
    binary = require_program("chromium", "chromium")
    driver_path = require_program("chromedriver", "chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    with ExitStack() as stack:
        if profile is None:
            profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="t3site-chromium-"))
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            # This machine's network is closed: without these, Chromium keeps trying to reach out.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--window-size={window[0]},{window[1]}",
        ):
            options.add_argument(flag)
        if routes:
            options.add_argument("--host-resolver-rules=" + ", ".join(f"MAP {a} {b}" for a, b in routes.items()))
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        try:
            if window[0] < NARROWEST_WINDOW_PX:
                emulate_screen(driver, window)
            yield driver
        finally:
            driver.quit()


def emulate_screen(driver, window: tuple[int, int]) -> None:
    """Make the page see a phone's screen of ``window`` (width, height) CSS pixels, touch included."""
    width, height = window
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
    )


def wait_for(condition: Callable[[], object], timeout: float = WAIT_SECONDS, message: str = "condition") -> object:
    """Return the first truthy value of ``condition()``, polling for at most ``timeout`` seconds (eventually)."""
    errors: list[Exception] = []

    def attempt() -> object:
        try:
            return condition()
        except Exception as exc:  # the element may not exist yet
            errors.append(exc)
            return None

    if value := eventually(attempt, timeout):
        return value
    raise AssertionError(f"timed out after {timeout}s waiting for {message}" + (f" ({errors[-1]})" if errors else ""))


def text_of(driver, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id).text

"""Naming a device from its User-Agent, when neither the device nor its link named it."""

from __future__ import annotations

import pytest

from pairing.devicenames import device_name

PIXEL_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
IPHONE_CHROME = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.68"
)
MAC_FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0"
LINUX_HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36"
)
SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (PIXEL_CHROME, "Chrome on Android"),
        (IPHONE_SAFARI, "Safari on iPhone"),
        (IPHONE_CHROME, "Chrome on iPhone"),
        (WINDOWS_EDGE, "Edge on Windows"),
        (MAC_FIREFOX, "Firefox on Mac"),
        (LINUX_HEADLESS, "Chrome on Linux"),
        (SAMSUNG, "Samsung Internet on Android"),
    ],
)
def test_it_names_a_browser_and_its_platform(user_agent, name):
    assert device_name(user_agent) == name


def test_it_names_a_program_by_its_product():
    assert device_name("python-requests/2.32.3") == "python-requests"
    assert device_name("curl/8.5.0") == "curl"


def test_it_says_nothing_when_the_agent_says_nothing():
    assert device_name("") == ""
    assert device_name("Mozilla/5.0") == ""

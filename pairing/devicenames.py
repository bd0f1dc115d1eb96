"""Name a device from its User-Agent when nobody named it ("Chrome on Android"). No Django imports.

Only a fallback: the name the device typed on /pair wins, then the pairing link's label.
The order of the checks matters, because browsers borrow each other's tokens: Edge and
Opera say "Chrome", Chrome says "Safari". An iPad that asks for desktop sites says
"Macintosh" and is named as a Mac: nothing in its User-Agent tells them apart.
"""

from __future__ import annotations

import re

# (pattern, name), first match wins.
_BROWSERS = (
    (re.compile(r"\bEdg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"\bOPR/|\bOpera\b"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\bFirefox/|\bFxiOS/"), "Firefox"),
    (re.compile(r"\b(Headless)?Chrome/|\bCriOS/|\bChromium/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/"), "Safari"),
)
_PLATFORMS = (
    (re.compile(r"\biPhone\b"), "iPhone"),
    (re.compile(r"\biPad\b"), "iPad"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bMacintosh\b|\bMac OS X\b"), "Mac"),
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\bLinux\b|\bX11\b"), "Linux"),
)
# A program's own agent ("python-requests/2.31", "curl/8.5.0"): its first product name.
_PRODUCT = re.compile(r"^\s*([A-Za-z][\w.-]{0,40})(/|\s|$)")


def device_name(user_agent: str) -> str:
    """Return a readable name for the device that sent ``user_agent``, or "" when it says nothing."""
    browser = next((name for pattern, name in _BROWSERS if pattern.search(user_agent)), None)
    platform = next((name for pattern, name in _PLATFORMS if pattern.search(user_agent)), None)
    if browser and platform:
        return f"{browser} on {platform}"
    if browser or platform:
        return browser or f"a browser on {platform}"
    product = _PRODUCT.match(user_agent)
    return product.group(1) if product and product.group(1) != "Mozilla" else ""

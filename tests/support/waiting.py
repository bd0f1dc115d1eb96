"""The one bounded wait: poll a condition instead of sleeping a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], seconds: float, interval: float = 0.1) -> T:
    """Return the first truthy value of ``check()`` within ``seconds``, else its last (falsy) value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(interval)
    return check()

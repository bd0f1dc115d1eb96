"""Move t3site's clock in tests instead of sleeping (t3site.clock is the one seam)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from t3site import clock


def later(seconds: float):
    """Move the clock ``seconds`` into the future for the duration of a with-block."""
    return mock.patch("t3site.clock.now", return_value=clock.now() + timedelta(seconds=seconds))

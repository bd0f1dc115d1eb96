"""Journeys: a person's whole flows in a phone-sized Chromium against a real `manage.py serve`.

Every journey starts from a clean T3SITE_HOME (the `server` fixture) and saves a screenshot of
each browser's last screen under its temporary folder (`screens/`), for a reviewer to look at.
"""

from __future__ import annotations

import pytest

from tests.support.journey import people as open_people


@pytest.fixture
def people(tmp_path):
    """Yield ``open_browser(name="phone", profile=None)``: a new phone-sized browser for a person."""
    with open_people(tmp_path / "screens") as open_browser:
        yield open_browser

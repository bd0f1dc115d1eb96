"""Find the system programs some tests drive for real, or skip saying what is missing.

In CI (T3SITE_REQUIRE_SYSTEM_DEPS=1) a missing program fails the test instead:
every such test must run there.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require_program(name: str, package: str, path: str | None = None) -> str:
    found = path if path and os.access(path, os.X_OK) else shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (Debian package {package}; `make test` installs it when run as root)"
    if os.environ.get("T3SITE_REQUIRE_SYSTEM_DEPS") == "1":
        pytest.fail(message)
    pytest.skip(message)

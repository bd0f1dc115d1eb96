"""Settings for the test run: t3site's own, with state in a throwaway T3SITE_HOME."""

import os
import tempfile

os.environ.setdefault("T3SITE_HOME", tempfile.mkdtemp(prefix="t3site-test-"))

from t3site.settings import *  # noqa: E402,F403
from t3site.settings import DATABASES, T3SITE_HOME  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not Django's shared in-memory database: concurrency tests need real SQLite locking.
    DATABASES["default"]["TEST"] = {"NAME": str(T3SITE_HOME / "test.sqlite3")}

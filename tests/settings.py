"""Settings for the test run: t3site's own, with state in a throwaway T3SITE_HOME."""

import os
import tempfile

MADE_HOME_VARIABLE = "T3SITE_TEST_MADE_HOME"

if "T3SITE_HOME" not in os.environ:
    os.environ["T3SITE_HOME"] = tempfile.mkdtemp(prefix="t3site-test-")
    # Made here, so the run's controller removes it when the run ends (tests/conftest.py); a home
    # the caller named is theirs and stays.
    os.environ[MADE_HOME_VARIABLE] = os.environ["T3SITE_HOME"]
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    # Under pytest-xdist each worker inherits the T3SITE_HOME above from the controller: give each
    # its own folder inside it, so no two workers share a database, a secret or the files of that home.
    os.environ["T3SITE_HOME"] = os.path.join(os.environ["T3SITE_HOME"], worker)

from t3site.settings import *  # noqa: E402,F403
from t3site.settings import DATABASES, T3SITE_HOME  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not Django's shared in-memory database: concurrency tests need real SQLite locking.
    DATABASES["default"]["TEST"] = {"NAME": str(T3SITE_HOME / "test.sqlite3")}

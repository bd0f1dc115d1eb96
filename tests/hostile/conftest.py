"""The hostile-input suite: a real server attacked from outside, as issue 10's adversary did.

One real server per module (`hostile_server`) where the tests do not change what other tests
rely on; the fault tests start and kill their own. Property-based tests run
``T3SITE_FUZZ_EXAMPLES`` examples each when that variable is set (a few dozen by default, so
`make test` stays fast); failures print the example and the seed to replay it.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.hostile.callers import Minter
from tests.support.server import start_server

DEFAULT_FUZZ_EXAMPLES = 25


def fuzz_examples(default: int = DEFAULT_FUZZ_EXAMPLES) -> int:
    """Return how many examples a property runs: ``T3SITE_FUZZ_EXAMPLES`` if set, else ``default``."""
    return int(os.environ.get("T3SITE_FUZZ_EXAMPLES") or default)


def fuzz(default: int = DEFAULT_FUZZ_EXAMPLES):
    """Hypothesis settings for a property driven through a real server.

    No deadline (a real server's latency is not the property), no example database (it would
    write .hypothesis/ into the checkout), and the function-scoped autouse fixtures of the
    suite's conftest are harmless here: the server is another process.
    """
    return settings(
        max_examples=fuzz_examples(default),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """A real `manage.py serve` for one test module, with its own T3SITE_HOME."""
    running = start_server(tmp_path_factory.mktemp("hostile") / "home")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def minter(hostile_server) -> Minter:
    return Minter(hostile_server)

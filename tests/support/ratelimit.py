"""Use up the failed-attempt budget of a real server, and check that a restart keeps it."""

from __future__ import annotations

import time

from websockets.sync.client import connect

from pairing.ratelimit import AUTH_FAILURE_LIMIT, AUTH_FAILURE_WINDOW_SECONDS
from tests.support.e2e import pair_bearer, rpc
from tests.support.http import request
from tests.support.server import start_server

WRONG_PAIRING_CODE = "ABCDEFGHJKMN"
# A restart test runs for several seconds: it must not straddle the start of a new window.
WINDOW_MARGIN_SECONDS = 40


def away_from_a_window_boundary() -> None:
    """Sleep past the next window boundary when it is less than WINDOW_MARGIN_SECONDS away."""
    left = AUTH_FAILURE_WINDOW_SECONDS - time.time() % AUTH_FAILURE_WINDOW_SECONDS
    if left < WINDOW_MARGIN_SECONDS:
        time.sleep(left + 1)


def use_up_the_budget(server) -> None:
    for _ in range(AUTH_FAILURE_LIMIT):
        assert request("POST", f"{server.base_url}/api/auth/pair", {"token": WRONG_PAIRING_CODE}).status == 401


def assert_limited_after_a_restart(home, env=None) -> None:
    """Pair, use up the budget, restart `serve` on ``home``: pairing stays refused, the paired device still connects."""
    away_from_a_window_boundary()
    first = start_server(home, env=env)
    try:
        device = pair_bearer(first)
        use_up_the_budget(first)
    finally:
        first.stop()
    second = start_server(home, env=env)
    try:
        # Even the right code: the slot is taken before the code is checked.
        limited = request("POST", f"{second.base_url}/api/auth/pair", {"token": second.token})
        assert limited.status == 429 and limited.json["error"]["code"] == "rate_limited"
        assert 0 < int(limited.headers["retry-after"]) <= AUTH_FAILURE_WINDOW_SECONDS
        with connect(second.ws_url, additional_headers={"Authorization": f"Bearer {device['sessionToken']}"}) as ws:
            assert rpc(ws, "server.probe")["result"]["ok"] is True
    finally:
        second.stop()

"""The failed-attempt budget: atomic, given back on success, and kept across restarts (in the database or Redis)."""

from __future__ import annotations

import threading

import pytest

from pairing.models import FailureWindow
from pairing.ratelimit import AUTH_FAILURE_LIMIT, AUTH_FAILURE_WINDOW_SECONDS, RateLimited, auth_failures
from tests.support.clock import later
from tests.support.ratelimit import assert_limited_after_a_restart


def test_the_budget_survives_a_restart_of_the_server(tmp_path):
    assert_limited_after_a_restart(tmp_path / "home")


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_take_exactly_the_budget():
    outcomes: list[str] = []
    start = threading.Barrier(24)

    def attempt() -> None:
        start.wait(timeout=10)
        try:
            auth_failures.attempt("192.0.2.9")
            outcomes.append("counted")
        except RateLimited:
            outcomes.append("limited")

    threads = [threading.Thread(target=attempt) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes.count("counted") == AUTH_FAILURE_LIMIT
    assert FailureWindow.objects.get().count == AUTH_FAILURE_LIMIT


@pytest.mark.django_db
def test_a_success_gives_its_slot_back_and_other_addresses_have_their_own_budget():
    for _ in range(AUTH_FAILURE_LIMIT + 3):
        auth_failures.attempt("192.0.2.1").succeeded()
    for _ in range(AUTH_FAILURE_LIMIT - 1):
        auth_failures.attempt("192.0.2.1")
    auth_failures.attempt("192.0.2.1")
    with pytest.raises(RateLimited):
        auth_failures.attempt("192.0.2.1")
    auth_failures.attempt("192.0.2.2")


@pytest.mark.django_db
def test_a_new_window_starts_afresh_and_ended_windows_are_deleted():
    for _ in range(AUTH_FAILURE_LIMIT):
        auth_failures.attempt("192.0.2.1")
    with later(AUTH_FAILURE_WINDOW_SECONDS * 2):
        auth_failures.attempt("192.0.2.1")
        assert FailureWindow.objects.count() == 1 and FailureWindow.objects.get().count == 1

"""A saved environment's lastConnectedAt moves when a device reaches it through the relay, once a minute at most."""

from __future__ import annotations

import pytest

from environments.models import CONNECTED_NOTE_SECONDS, Environment
from tests.support.clock import later

pytestmark = pytest.mark.django_db


def saved() -> Environment:
    return Environment.objects.create(
        environment_id="env-backend",
        label="backend",
        http_base_url="http://127.0.0.1:9",
        ws_base_url="ws://127.0.0.1:9",
    )


def stored(environment: Environment):
    return Environment.objects.get(pk=environment.pk).last_connected_at


def test_the_first_open_is_noted():
    environment = saved()
    assert stored(environment) is None

    environment.note_connected()

    assert stored(environment) is not None


def test_opens_within_a_minute_write_once_and_the_next_minute_moves_it():
    environment = saved()
    environment.note_connected()
    first = stored(environment)

    with later(CONNECTED_NOTE_SECONDS - 1):
        Environment.objects.get(pk=environment.pk).note_connected()
    assert stored(environment) == first

    with later(CONNECTED_NOTE_SECONDS + 1):
        Environment.objects.get(pk=environment.pk).note_connected()
    assert stored(environment) > first

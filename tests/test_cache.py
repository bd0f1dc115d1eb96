"""The one in-process TTL cache (t3site.cache): answers, and remembered failures, for a while."""

from __future__ import annotations

import asyncio
from unittest import mock

import pytest

from t3site.cache import TTLCache


class Refused(Exception):
    pass


def test_it_reuses_an_answer_until_it_expires():
    cache: TTLCache[int] = TTLCache(10)
    answers = iter([1, 2])
    with mock.patch("time.monotonic", return_value=100.0):
        assert cache.get("key", lambda: next(answers)) == 1
        assert cache.get("key", lambda: next(answers)) == 1
    with mock.patch("time.monotonic", return_value=110.0):
        assert cache.get("key", lambda: next(answers)) == 2


def test_it_remembers_a_failure_of_the_kinds_it_is_told_to():
    cache: TTLCache[int] = TTLCache(10, remember=(Refused,))
    calls = []

    def refuse():
        calls.append(1)
        raise Refused("no")

    for _ in range(2):
        with pytest.raises(Refused):
            cache.get("key", refuse)
    assert len(calls) == 1
    with pytest.raises(ZeroDivisionError):  # any other failure is not an answer
        cache.get("other", lambda: 1 / 0)


def test_it_awaits_an_answer_once_and_forgets_on_clear():
    cache: TTLCache[str] = TTLCache(10)
    calls = []

    async def version():
        calls.append(1)
        return "1.2.3"

    async def twice():
        return [await cache.aget(("path", 1), version) for _ in range(2)]

    assert asyncio.run(twice()) == ["1.2.3", "1.2.3"] and len(calls) == 1
    cache.clear()
    asyncio.run(twice())
    assert len(calls) == 2

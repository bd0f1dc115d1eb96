"""The real server on Redis (REDIS_URL) and on PostgreSQL (DATABASE_URL), each a throwaway local service."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from pairing.ratelimit import AUTH_FAILURE_LIMIT
from tests.support.e2e import REVOCATION_DEADLINE_SECONDS, pair_bearer, rpc
from tests.support.http import request
from tests.support.ratelimit import assert_limited_after_a_restart
from tests.support.server import command_env, manage, start_server
from tests.support.services import postgres_server, redis_server

WRONG_PAIRING_CODE = "ABCDEFGHJKMN"


@pytest.fixture(scope="module")
def redis():
    with redis_server() as running:
        yield running


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as running:
        yield running


@pytest.fixture
def redis_env(redis, tmp_path):
    redis.client().flushall()
    return command_env(tmp_path / "home", REDIS_URL=redis.url)


@pytest.fixture
def server_on_redis(redis_env, tmp_path):
    running = start_server(tmp_path / "home", env=redis_env)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def postgres_env(postgres, tmp_path_factory):
    return command_env(tmp_path_factory.mktemp("pg") / "home", DATABASE_URL=postgres.create_database("t3site"))


@pytest.fixture(scope="module")
def server_on_postgres(postgres_env):
    running = start_server(Path(postgres_env["T3SITE_HOME"]), env=postgres_env)
    yield running
    running.stop()


def seconds_to_4410_after_a_cli_revoke(ws, server, session: dict, env: dict[str, str]) -> float:
    """Revoke ``session`` with `manage.py auth session revoke` and return the seconds until ``ws`` closes with 4410."""
    revoked = manage(server.home, "auth", "session", "revoke", session["sessionId"], env=env)
    assert revoked.returncode == 0, revoked.stderr
    started = time.monotonic()
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=REVOCATION_DEADLINE_SECONDS + 1)
    assert closed.value.rcvd.code == 4410
    print("ELAPSED", time.monotonic() - started)
    return time.monotonic() - started


def test_on_redis_the_socket_joins_its_group_in_redis_and_a_cli_revoke_closes_it(server_on_redis, redis, redis_env):
    session = pair_bearer(server_on_redis)
    headers = {"Authorization": f"Bearer {session['sessionToken']}"}
    with connect(server_on_redis.ws_url, additional_headers=headers) as ws:
        assert rpc(ws, "server.probe")["result"]["ok"] is True
        # channels_redis keeps each group as a sorted set of channel names: the socket is registered in Redis.
        assert redis.client().zcard(f"asgi:group:t3session.{session['sessionId']}") == 1
        assert (
            seconds_to_4410_after_a_cli_revoke(ws, server_on_redis, session, redis_env) <= REVOCATION_DEADLINE_SECONDS
        )


def test_on_redis_the_failed_pairing_limit_is_shared_by_every_server_process(
    server_on_redis, redis, redis_env, tmp_path
):
    other_home = tmp_path / "other-home"
    other = start_server(other_home, env={**redis_env, "T3SITE_HOME": str(other_home)})
    try:
        pair_url = f"{server_on_redis.base_url}/api/auth/pair"
        for _ in range(AUTH_FAILURE_LIMIT):
            assert request("POST", pair_url, {"token": WRONG_PAIRING_CODE}).status == 401
        limited = request("POST", pair_url, {"token": WRONG_PAIRING_CODE})
        assert limited.status == 429 and limited.json["error"]["code"] == "rate_limited"
        assert 0 < int(limited.headers["retry-after"]) <= 600
        # Another process reads the same count from Redis: even a right code is refused from this address.
        assert request("POST", f"{other.base_url}/api/auth/pair", {"token": other.token}).status == 429
    finally:
        other.stop()
    counters = redis.client().keys("t3site:*ratelimit:auth:*")
    assert [int(redis.client().get(key)) for key in counters] == [AUTH_FAILURE_LIMIT]


def test_on_redis_the_budget_survives_a_restart_and_is_kept_in_redis_not_the_database(redis, redis_env, tmp_path):
    assert_limited_after_a_restart(tmp_path / "home", env=redis_env)
    counters = redis.client().keys("t3site:*ratelimit:auth:*")
    assert [int(redis.client().get(key)) for key in counters] == [AUTH_FAILURE_LIMIT]
    with sqlite3.connect(tmp_path / "home" / "db.sqlite3") as database:
        assert database.execute("SELECT count(*) FROM pairing_failurewindow").fetchone() == (0,)


def test_on_postgres_two_processes_count_concurrent_guesses_in_one_budget(postgres, tmp_path):
    url = postgres.create_database("t3site_budget")
    servers = [start_server(tmp_path / name, env=command_env(tmp_path / name, DATABASE_URL=url)) for name in "ab"]
    try:
        statuses: list[int] = []
        start = threading.Barrier(2 * AUTH_FAILURE_LIMIT)

        def guess(server) -> None:
            start.wait(timeout=10)
            statuses.append(request("POST", f"{server.base_url}/api/auth/pair", {"token": WRONG_PAIRING_CODE}).status)

        threads = [threading.Thread(target=guess, args=(servers[i % 2],)) for i in range(2 * AUTH_FAILURE_LIMIT)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(statuses) == [401] * AUTH_FAILURE_LIMIT + [429] * AUTH_FAILURE_LIMIT
        assert postgres.query("t3site_budget", "SELECT count FROM pairing_failurewindow") == [(AUTH_FAILURE_LIMIT,)]
    finally:
        for server in servers:
            server.stop()


def test_on_postgres_serve_migrates_a_fresh_database_by_itself(server_on_postgres, postgres):
    applied = postgres.query("t3site", "SELECT count(*) FROM django_migrations WHERE app = 'pairing'")
    assert applied[0][0] > 0
    assert not (server_on_postgres.home / "db.sqlite3").exists()


def test_on_postgres_pairing_the_cli_and_a_revoke_closing_the_socket_work(server_on_postgres, postgres_env):
    session = pair_bearer(server_on_postgres, label="postgres phone")
    listed = manage(server_on_postgres.home, "auth", "session", "list", "--json", env=postgres_env)
    assert listed.returncode == 0, listed.stderr
    assert session["sessionId"] in {row["id"] for row in json.loads(listed.stdout)}
    headers = {"Authorization": f"Bearer {session['sessionToken']}"}
    with connect(server_on_postgres.ws_url, additional_headers=headers) as ws:
        assert rpc(ws, "server.probe")["result"]["ok"] is True
        elapsed = seconds_to_4410_after_a_cli_revoke(ws, server_on_postgres, session, postgres_env)
    assert elapsed <= REVOCATION_DEADLINE_SECONDS

"""A throwaway Redis and a throwaway PostgreSQL cluster on free loopback ports, for the scaling tests.

Each lives in its own temporary folder, writes as little as it can (Redis: no
snapshot, no append-only file; PostgreSQL: fsync off), runs in the test's hands
rather than as a system service, and is stopped and removed at teardown.
PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres`
system user that Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

from tests.support.sshd import free_port
from tests.support.system import require_program

REDIS_START_TIMEOUT_SECONDS = 10
POSTGRES_START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10


@dataclass
class Redis:
    port: int
    folder: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    @property
    def log(self) -> str:
        return (self.folder / "redis.log").read_text(errors="replace")


@contextmanager
def redis_server() -> Iterator[Redis]:
    """Run redis-server on a free 127.0.0.1 port, without persistence, until the block ends."""
    program = require_program("redis-server", "redis-server")
    running = Redis(port=free_port(), folder=Path(tempfile.mkdtemp(prefix="t3site-redis-")))
    command = [program, "--port", str(running.port), "--bind", "127.0.0.1", "--dir", str(running.folder)]
    command += ["--save", "", "--appendonly", "no", "--logfile", str(running.folder / "redis.log")]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_for_redis(running, process)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(running.folder, ignore_errors=True)


def _wait_for_redis(running: Redis, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + REDIS_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}:\n{running.log}")
        try:
            if running.client().ping():
                return
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"redis-server did not answer within {REDIS_START_TIMEOUT_SECONDS} s:\n{running.log}")


def postgres_bin() -> Path:
    """Return the folder of PostgreSQL's server programs (Debian keeps them per version, off PATH)."""
    versioned = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    initdb = require_program("initdb", "postgresql", versioned[-1] if versioned else None)
    return Path(initdb).resolve().parent


@dataclass
class Postgres:
    port: int
    folder: Path

    def create_database(self, name: str) -> str:
        """Create an empty database and return its DATABASE_URL."""
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres") as admin:
            admin.autocommit = True
            admin.execute(f'CREATE DATABASE "{name}"')
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def query(self, database: str, sql: str) -> list[tuple]:
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database) as conn:
            return conn.execute(sql).fetchall()


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    """Run a fresh PostgreSQL cluster (trust auth, 127.0.0.1 only) on a free port until the block ends."""
    bindir = postgres_bin()
    running = Postgres(port=free_port(), folder=Path(tempfile.mkdtemp(prefix="t3site-postgres-")))
    owner: list[str] = []
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(running.folder, account.pw_uid, account.pw_gid)
        owner = [require_program("runuser", "util-linux"), "-u", "postgres", "--"]
    data, log = running.folder / "data", running.folder / "postgres.log"
    pg_ctl = [*owner, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        initdb = [*owner, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
        _run([*initdb, "-E", "UTF8", "--locale=C", "--no-sync"], cwd=running.folder)
        options = f"-k {running.folder} -p {running.port} -h 127.0.0.1 -F"
        start = [*pg_ctl, "start", "-w", "-t", str(POSTGRES_START_TIMEOUT_SECONDS), "-l", str(log), "-o", options]
        _run(start, cwd=running.folder, log=log)
        yield running
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*pg_ctl, "stop", "-m", "fast", "-w"], cwd=running.folder, capture_output=True, timeout=30)
        shutil.rmtree(running.folder, ignore_errors=True)


def _run(command: list[str], cwd: Path, log: Path | None = None) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        server_log = log.read_text(errors="replace") if log and log.exists() else ""
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}{server_log}")

"""Read t3site's settings from the process environment, strictly.

Every variable of docs/contract.md §1 is parsed here; a bad value raises
ImproperlyConfigured with a message that names the variable, which manage.py
prints as one line.
"""

from __future__ import annotations

import importlib
import ipaddress
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from t3site import home
from t3site.durations import DurationError, parse_duration
from t3site.origins import BadOrigin, normalize_origin

# The PostgreSQL and Redis clients are not in requirements.txt: the embedded default (SQLite, the
# in-memory channel layer) needs neither, and they were a good part of a first `make serve`.
SCALE_REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements-scale.txt"
DEFAULT_SESSION_IDLE_TTL = "30d"
DEFAULT_SESSION_MAX_TTL = "365d"
# django-environ's env.bool() reads any unknown word as False; a typo must fail instead.
_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
AGENTS = "T3SITE_AGENTS"
# An agent's id is a name in URLs and lists, never a path or an option.
_AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Config:
    home: Path
    database: dict
    redis_url: str | None
    hosted_origins: tuple[str, ...]
    https_endpoints: tuple[str, ...]
    session_idle_ttl_seconds: int
    session_max_ttl_seconds: int
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    debug: bool
    agents: dict[str, list[str]]


def _fail(name: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}: {problem}")


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_origin(name: str, value: str) -> str:
    """Return ``value`` as a normalized origin (scheme://host[:port]) or raise naming ``name``."""
    try:
        return normalize_origin(value, default_scheme=None)
    except BadOrigin as exc:
        raise _fail(name, str(exc)) from None


def _missing(*modules: str) -> str | None:
    """Return the first of ``modules`` that cannot be imported, or None when all can."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            return module
    return None


def _not_installed(name: str, what: str, package: str) -> ImproperlyConfigured:
    """Return the error for a missing ``package`` of requirements-scale.txt, with the exact command."""
    return _fail(
        name,
        f"{what} needs the Python package {package!r}, which is in {SCALE_REQUIREMENTS.name}, not in the "
        f"default install: run `{sys.executable} -m pip install -r {SCALE_REQUIREMENTS}`",
    )


def _duration(env: environ.Env, name: str, default: str) -> int:
    try:
        return parse_duration(env.str(name, default=default))
    except DurationError as exc:
        raise _fail(name, str(exc)) from None


def _database(env: environ.Env, state: Path) -> dict:
    default = f"sqlite:///{state / 'db.sqlite3'}"
    raw = env.str("DATABASE_URL", default=default)
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise _fail(
            "DATABASE_URL",
            f"unsupported URL {scheme + '://...' if scheme else repr(raw)}; use sqlite:///PATH or postgres://...",
        )
    try:
        database = environ.Env.db_url_config(raw)
    except (ImproperlyConfigured, ValueError) as exc:
        raise _fail("DATABASE_URL", f"cannot be parsed ({exc})") from None
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = {
            # Writers wait for each other instead of failing with "database is locked";
            # IMMEDIATE takes the write lock up front so two claims never deadlock on upgrade.
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            # WAL itself is set once, on the file (t3site.commands.ensure_database): switching
            # journal modes on every connection can fail while another process writes.
            "init_command": "PRAGMA synchronous=NORMAL;",
        }
        # A connection per thread is kept, not opened per request: opening one is most of a
        # trivial request's database time. The health check reopens one that broke.
        database.setdefault("CONN_MAX_AGE", 600)
        database.setdefault("CONN_HEALTH_CHECKS", True)
    else:
        # Django's backend takes psycopg (3) or psycopg2; requirements-scale.txt installs the first.
        if _missing("psycopg") and _missing("psycopg2"):
            raise _not_installed("DATABASE_URL", "PostgreSQL", "psycopg")
        database.setdefault("CONN_MAX_AGE", 60)
        database.setdefault("CONN_HEALTH_CHECKS", True)
    return database


def _redis(env: environ.Env) -> str | None:
    raw = env.str("REDIS_URL", default="") or None
    if raw is not None and urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise _fail("REDIS_URL", f"{raw.split('://', 1)[0]!r} is not a Redis URL; use redis://host:port/db")
    if raw is not None:
        # channels_redis for the channel layer, redis for Django's cache (and channels_redis itself).
        missing = _missing("channels_redis", "redis")
        if missing:
            raise _not_installed("REDIS_URL", "Redis", missing)
    return raw


def _trusted_proxies(env: environ.Env) -> tuple:
    networks = []
    for item in _split(env.str("T3SITE_TRUSTED_PROXIES", default="")):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise _fail("T3SITE_TRUSTED_PROXIES", f"{item!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def _https_endpoints(env: environ.Env) -> tuple[str, ...]:
    urls = []
    for item in _split(env.str("T3SITE_HTTPS_ENDPOINTS", default="")):
        try:
            parts = urlsplit(item)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise _fail("T3SITE_HTTPS_ENDPOINTS", f"{item!r} is not a URL ({exc})") from None
        if parts.scheme != "https" or not parts.hostname or parts.username or parts.query or parts.fragment:
            raise _fail("T3SITE_HTTPS_ENDPOINTS", f"{item!r} must be an https:// URL")
        urls.append(item.rstrip("/"))
    return tuple(urls)


def parse_agents(value: str) -> dict[str, list[str]]:
    """Return the ``id -> argv`` entries of a T3SITE_AGENTS value (docs/contract.md §9); raise naming a bad one.

    ``"mine=/opt/agent --stdio;gemini=gemini --experimental-acp"``, split as a shell splits a
    line of commands: a ``;`` inside quotes belongs to the command (``sh -c 'a; b'``), one
    outside them ends the entry. agents.catalog reads it again whenever it lists the agents.
    """
    lexer = shlex.shlex(value, posix=True, punctuation_chars=";")
    lexer.whitespace_split = True
    lexer.commenters = ""  # a '#' is part of a word, as in shlex.split
    try:
        tokens = list(lexer)
    except ValueError as exc:  # an unclosed quote
        raise _fail(AGENTS, f"cannot split {value!r}: {exc}") from None
    entries: dict[str, list[str]] = {}
    words: list[str] = []
    for token in [*tokens, ";"]:
        if token.strip(";"):
            words.append(token)
            continue
        if words:
            agent_id, equals, program = words[0].partition("=")
            if not equals or not _AGENT_ID.match(agent_id):
                entry = shlex.join(words)
                raise _fail(AGENTS, f"{entry!r} is not id=command line (write id=command line;id=command line)")
            argv = [program, *words[1:]] if program else words[1:]
            if not argv:
                raise _fail(AGENTS, f"{agent_id!r} has no command")
            entries[agent_id] = argv
        words = []
    return entries


def load(environment: dict[str, str] | None = None) -> Config:
    """Return the configuration read from ``environment`` (default: ``os.environ``)."""
    env = environ.Env()
    if environment is not None:
        env.ENVIRON = environment
    state = home.resolve_home(env.str("T3SITE_HOME", default="") or None)
    idle = _duration(env, "T3SITE_SESSION_IDLE_TTL", DEFAULT_SESSION_IDLE_TTL)
    maximum = _duration(env, "T3SITE_SESSION_MAX_TTL", DEFAULT_SESSION_MAX_TTL)
    if idle > maximum:
        raise _fail("T3SITE_SESSION_IDLE_TTL", "must not be longer than T3SITE_SESSION_MAX_TTL")
    debug_text = env.str("T3SITE_DEBUG", default="false").strip().lower()
    if debug_text not in _BOOLEANS:
        raise _fail("T3SITE_DEBUG", f"{debug_text!r} is not true or false")
    debug = _BOOLEANS[debug_text]
    return Config(
        home=state,
        database=_database(env, state),
        redis_url=_redis(env),
        hosted_origins=tuple(
            parse_origin("T3SITE_HOSTED_ORIGINS", item) for item in _split(env.str("T3SITE_HOSTED_ORIGINS", default=""))
        ),
        https_endpoints=_https_endpoints(env),
        session_idle_ttl_seconds=idle,
        session_max_ttl_seconds=maximum,
        trusted_proxies=_trusted_proxies(env),
        debug=debug,
        agents=parse_agents(env.str(AGENTS, default="")),
    )

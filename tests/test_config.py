"""Settings come from the environment, strictly: a bad value names its variable."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from t3site import config
from t3site.durations import DurationError, duration_in_words, format_duration, parse_duration
from tests.support.server import ROOT, command_env, manage


def load(tmp_path, **variables):
    return config.load({"T3SITE_HOME": str(tmp_path), **variables})


def test_it_defaults_to_sqlite_in_the_home_and_thirty_day_sessions(tmp_path):
    loaded = load(tmp_path)
    assert loaded.database["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded.database["NAME"] == str(tmp_path / "db.sqlite3")
    assert loaded.redis_url is None
    assert loaded.session_idle_ttl_seconds == 30 * 86400
    assert loaded.session_max_ttl_seconds == 365 * 86400


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("T3SITE_SESSION_IDLE_TTL", "forever"),
        ("T3SITE_SESSION_MAX_TTL", "0s"),
        ("T3SITE_HOSTED_ORIGINS", "ftp://example.test"),
        ("T3SITE_HOSTED_ORIGINS", "https://app.example.test/path"),
        ("T3SITE_HTTPS_ENDPOINTS", "http://plain.example.test"),
        ("T3SITE_TRUSTED_PROXIES", "10.0.0.300"),
        ("DATABASE_URL", "mysql://nope"),
        ("REDIS_URL", "http://not-redis"),
        ("T3SITE_DEBUG", "maybe"),
        ("T3SITE_AGENTS", "gemini"),
        ("T3SITE_AGENTS", "mine=;other=/opt/agent"),
        ("T3SITE_AGENTS", "mine=/opt/agent 'unclosed"),
        ("T3SITE_AGENTS", "../escape=/opt/agent"),
    ],
)
def test_it_names_the_variable_of_a_bad_value(tmp_path, name, value):
    with pytest.raises(ImproperlyConfigured, match=f"^{name}: "):
        load(tmp_path, **{name: value})


def test_it_refuses_an_idle_ttl_longer_than_the_cap(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="T3SITE_SESSION_IDLE_TTL"):
        load(tmp_path, T3SITE_SESSION_IDLE_TTL="400d")


def test_it_normalizes_hosted_origins_and_reads_proxies(tmp_path):
    loaded = load(
        tmp_path,
        T3SITE_HOSTED_ORIGINS="https://App.Example.test:443, http://127.0.0.1:8000",
        T3SITE_TRUSTED_PROXIES="127.0.0.1,10.0.0.0/8",
    )
    assert loaded.hosted_origins == ("https://app.example.test", "http://127.0.0.1:8000")
    assert [str(n) for n in loaded.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]


# T3SITE_AGENTS was once read by a system check, which printed a report of several lines.
@pytest.mark.parametrize(("name", "value"), [("T3SITE_SESSION_IDLE_TTL", "soon"), ("T3SITE_AGENTS", "gemini --acp")])
def test_a_bad_setting_stops_a_command_with_one_line(tmp_path, name, value):
    result = manage(
        tmp_path,
        "auth",
        "session",
        "list",
        env={"T3SITE_HOME": str(tmp_path), name: value, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_it_reads_agents_as_a_shell_reads_a_line_of_commands(tmp_path):
    loaded = load(tmp_path, T3SITE_AGENTS="mine=/opt/agent --stdio; quoted=sh -c 'a; b' ;bare= gemini --acp")
    assert loaded.agents == {
        "mine": ["/opt/agent", "--stdio"],
        "quoted": ["sh", "-c", "a; b"],
        "bare": ["gemini", "--acp"],
    }
    assert load(tmp_path).agents == {}


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("5m", 300), ("1h", 3600), ("30d", 2592000), (" 2H ", 7200)]
)
def test_it_parses_ttls(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "m", "-5m", "0m", "5w", "1.5h", "3651d", "999999999d"])
def test_it_refuses_malformed_ttls(text):
    with pytest.raises(DurationError):
        parse_duration(text)


def test_it_formats_ttls_in_the_largest_exact_unit():
    assert [format_duration(s) for s in (90, 300, 7200, 2592000)] == ["90s", "5m", "2h", "30d"]


def test_it_says_ttls_in_words():
    assert [duration_in_words(s) for s in (1, 90, 300, 3600, 86400, 604800)] == [
        "1 second",
        "90 seconds",
        "5 minutes",
        "1 hour",
        "1 day",
        "7 days",
    ]


# `-c` program: make the modules named in argv[1] unimportable (None in sys.modules, as Python
# documents), then run manage.py with the rest of argv, as a machine without them would.
WITHOUT_MODULES = (
    "import runpy, sys; sys.modules.update(dict.fromkeys(sys.argv[1].split(','))); "
    "sys.argv = sys.argv[2:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)
INSTALL_SCALE = f"run `{sys.executable} -m pip install -r {config.SCALE_REQUIREMENTS}`"


def test_the_default_install_leaves_the_postgresql_and_redis_clients_to_the_scale_file():
    root = config.SCALE_REQUIREMENTS.parent
    default = (root / "requirements.txt").read_text()
    assert "psycopg" not in default and "channels-redis" not in default
    scale = config.SCALE_REQUIREMENTS.read_text()
    assert "psycopg[binary]==" in scale and "channels-redis==" in scale
    assert "-r requirements-scale.txt" in (root / "requirements-dev.txt").read_text().splitlines()


def test_postgresql_without_its_client_names_the_file_and_the_pip_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setitem(sys.modules, "psycopg2", None)
    with pytest.raises(ImproperlyConfigured) as failure:
        load(tmp_path, DATABASE_URL="postgres://t3site@127.0.0.1:5432/t3site")
    assert str(failure.value) == (
        "DATABASE_URL: PostgreSQL needs the Python package 'psycopg', which is in requirements-scale.txt, "
        f"not in the default install: {INSTALL_SCALE}"
    )


@pytest.mark.parametrize("module", ["channels_redis", "redis"])
def test_redis_without_its_clients_names_the_missing_one_and_the_pip_command(tmp_path, monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImproperlyConfigured) as failure:
        load(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0")
    assert str(failure.value).startswith(f"REDIS_URL: Redis needs the Python package {module!r}")
    assert str(failure.value).endswith(INSTALL_SCALE)


def test_with_the_scale_clients_installed_postgresql_and_redis_urls_load(tmp_path):
    loaded = load(
        tmp_path, DATABASE_URL="postgres://t3site@127.0.0.1:5432/t3site", REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert loaded.database["ENGINE"] == "django.db.backends.postgresql"
    assert loaded.redis_url == "redis://127.0.0.1:6379/0"


def test_a_missing_client_stops_a_command_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_MODULES, "psycopg,psycopg2", str(ROOT / "manage.py"), "project", "list"],
        cwd=ROOT,
        env=command_env(tmp_path, DATABASE_URL="postgres://t3site@127.0.0.1:1/t3site"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: DATABASE_URL: PostgreSQL needs the Python package 'psycopg', which is in requirements-scale.txt, "
        f"not in the default install: {INSTALL_SCALE}"
    ]


def test_check_deploy_has_nothing_left_to_warn_about(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout

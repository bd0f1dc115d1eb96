"""Management commands run in this process (milliseconds), as a user would type them."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


@dataclass
class Printed:
    stdout: str
    stderr: str


def command_output(*args: str, **options) -> Printed:
    """Run `manage.py ARGS` in this process and return what it printed on stdout and stderr."""
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return Printed(out.getvalue(), err.getvalue())


def run_command(*args: str, **options) -> str:
    """Run `manage.py ARGS` in this process and return what it printed on stdout."""
    return command_output(*args, **options).stdout


def command_error(*args: str, **options) -> str:
    """Run `manage.py ARGS`, which must refuse with a CommandError, and return its message (one line)."""
    with pytest.raises(CommandError) as refused:
        run_command(*args, **options)
    message = str(refused.value)
    assert len(message.strip().splitlines()) == 1, message
    return message


def command_help(*args: str) -> str:
    """Return what `manage.py ARGS --help` prints."""
    out = StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exited:
        call_command(*args, "--help")
    assert exited.value.code in (0, None)
    return out.getvalue()

#!/usr/bin/env python
"""t3site's command-line entry point: `python manage.py serve`, `auth`, `pair`, ..."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "t3site.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load the settings now, so a bad variable is one line
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"Error: {exc}\n")
        sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

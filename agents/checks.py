"""A T3SITE_AGENTS that cannot be read stops every command at start, with one line naming the variable."""

from __future__ import annotations

from django.core import checks

from agents import catalog


@checks.register()
def agents_setting(app_configs, **kwargs) -> list[checks.Error]:
    try:
        catalog.configured()
    except catalog.BadAgentsSetting as exc:
        return [checks.Error(str(exc), hint="Write it as id=command line;id=command line.", id="agents.E001")]
    return []

"""The web client's import map: the vendored modules by their npm names, each pinned to its hash.

Page modules import a vendored library by its npm name (``import { Marked } from "marked"``), as
they would with a bundler; the map says where each one is served. Its ``integrity`` makes the
browser refuse a module whose sha384 is not the one recorded next to the file
(``static/vendor/<folder>/vendored.json``, which also records the npm package, version and tarball
integrity it came from; tests/test_web_client_layout.py checks the record against the files).

``templates/base.html`` renders the map with ``{% import_map %}`` (this module is the template
library ``importmap``). It is the pages' one inline script: the Content-Security-Policy allows
exactly it, by its sha256 (``script_source()``, added by t3site/csp.py), never ``'unsafe-inline'``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

VENDOR = "vendor"
# What the policy looks for in a page to allow the map (t3site/csp.py).
ELEMENT_START = '<script type="importmap">'

register = template.Library()


def vendored_packages() -> list[tuple[str, dict]]:
    """Return each vendored package's record (vendored.json) with the static folder that holds it."""
    root = settings.BASE_DIR / "static" / VENDOR
    return [
        (record.parent.name, package)
        for record in sorted(root.glob("*/vendored.json"))
        for package in json.loads(record.read_text())["packages"]
    ]


@cache
def import_map_text() -> str:
    """Return the import map, as the text of its ``<script type="importmap">`` element."""
    imports = {}
    integrity = {}
    for folder, package in vendored_packages():
        url = static(f"{VENDOR}/{folder}/{package['module']}")
        imports[package["name"]] = url
        integrity[url] = package["moduleIntegrity"]
    # A static URL has no "<", but were there one, it could not end the element early.
    return json.dumps({"imports": imports, "integrity": integrity}, separators=(",", ":")).replace("<", "\\u003c")


@cache
def script_source() -> str:
    """Return the script-src source that allows the import map and nothing else: ``'sha256-...'``."""
    digest = hashlib.sha256(import_map_text().encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@register.simple_tag
def import_map() -> SafeString:
    """Render the import map's element; it must come before the page's first module script."""
    return mark_safe(f"{ELEMENT_START}{import_map_text()}</script>")  # noqa: S308 - our JSON, no "<" in it

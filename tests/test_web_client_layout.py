"""The web client's floor plan: static/js mirrors the apps, one entry module per page, vendored
modules by their npm names through the import map (each pinned to the hash recorded next to it),
and no address of this server spelled in a module or a template (docs/development.md, "Web client").
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest

from t3site import importmap
from tests.support.system import require_program

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "static" / "js"
VENDOR = ROOT / "static" / "vendor"
TEMPLATES = ROOT / "templates"
# As the Python apps' floors (tests/test_floor_plan.py): a module imports its own app's and lower
# floors' modules, never a higher floor's nor another app's on its own floor. A page's entry module
# (*-page.js) puts apps together, so it may import any of them, as t3site/urls.py does.
FLOORS = ({"core"}, {"endpoints", "environments"}, {"workspace"}, {"agents"})
IMPORT = re.compile(
    r"""(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s*["']([^"']+)["']"""  # import ... from "x"
    r"""|\bimport\(\s*["']([^"']+)["']\s*\)"""  # import("x")
)
MODULE_SCRIPT = re.compile(r"""<script type="module" src="\{% static '([^']+)' %\}"></script>""")
# An address of this server: a path of a page or of the API, as a string in a module or a link in a template.
SPELLED_URL = re.compile(
    r"""["'`](/(?:api|pair|environments|settings|admin|ws|\.well-known)\b[^"'`]*|/\?[^"'`]*)["'`]"""
)


def modules() -> list[Path]:
    return sorted(JS.rglob("*.js"))


def app_of(module: Path) -> str:
    return module.relative_to(JS).parts[0]


def floor_of(app: str) -> int:
    return next(index for index, floor in enumerate(FLOORS) if app in floor)


def imports_of(module: Path) -> list[str]:
    return [static or dynamic for static, dynamic in IMPORT.findall(module.read_text())]


def sri(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def test_the_shared_modules_pass_their_node_tests():
    node = require_program("node", "nodejs")
    # --experimental-detect-module: static/js is plain ES modules without a package.json to say so.
    result = subprocess.run(
        [node, "--experimental-detect-module", "--test", str(ROOT / "tests" / "js")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout


def test_every_module_lives_in_the_folder_of_an_app_or_in_core():
    for module in modules():
        assert len(module.relative_to(JS).parts) == 2, module
        floor_of(app_of(module))  # StopIteration: a folder that is no app


@pytest.mark.parametrize("module", modules(), ids=lambda path: str(path.relative_to(JS)))
def test_modules_import_vendored_code_by_name_and_the_apps_one_way(module):
    vendored = json.loads(importmap.import_map_text())["imports"]
    for specifier in imports_of(module):
        if not specifier.startswith("."):
            assert specifier in vendored, f"{module.name}: {specifier!r} is not in the import map"
            continue
        target = (module.parent / specifier).resolve()
        assert target.is_file() and JS in target.parents, f"{module.name}: {specifier} is not a module of static/js"
        if module.name.endswith("-page.js") or app_of(target) == app_of(module):
            continue
        assert floor_of(app_of(target)) < floor_of(app_of(module)), f"{module.name} imports {specifier}, up or across"


def test_every_page_template_loads_exactly_one_entry_module_and_every_entry_has_its_page():
    loaded = {}
    for template in TEMPLATES.rglob("*.html"):
        scripts = MODULE_SCRIPT.findall(template.read_text())
        assert template.read_text().count("<script") == len(scripts), f"{template}: a script that is no module"
        if scripts:
            assert len(scripts) == 1 and scripts[0].endswith("-page.js"), (template, scripts)
            loaded[scripts[0]] = template
    entries = {f"js/{module.relative_to(JS)}" for module in modules() if module.name.endswith("-page.js")}
    assert set(loaded) == entries


def test_no_module_or_template_spells_an_address_of_this_server():
    # The API's paths are the wire contract, spelled once, in core/api.js (PATHS); pages come from {% url %}.
    for module in modules():
        if module.relative_to(JS) != Path("core/api.js"):
            assert not SPELLED_URL.findall(module.read_text()), module
    for template in TEMPLATES.rglob("*.html"):
        assert not re.findall(r"""(?:href|src|action)="/""", template.read_text()), template


def test_only_the_pair_page_reads_or_spells_a_pairing_link():
    # Every link to hand out comes from the server (pairingUrl, pairing/links.py); the /pair page alone
    # reads one, and points at a backend's own /pair page when this one cannot reach it.
    spelling = {module.relative_to(JS) for module in modules() if "token=" in module.read_text()}
    assert spelling <= {Path("environments/hosts.js"), Path("environments/pair-page.js")}, spelling


def test_every_vendored_file_is_recorded_next_to_it_with_its_package_and_hashes():
    for record in VENDOR.glob("*/vendored.json"):
        packages = json.loads(record.read_text())["packages"]
        listed = {name for package in packages for name in package["files"]}
        assert listed | {record.name} == {path.name for path in record.parent.iterdir()}, record
        for package in packages:
            assert re.fullmatch(r"(@[a-z0-9-]+/)?[a-z0-9-]+", package["name"]), package
            assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), package
            # The registry's own, for the tarball: `npm view NAME@VERSION dist.integrity`.
            assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package["integrity"]), package
            assert any(name.startswith("LICENSE") for name in package["files"]), package
            assert package["module"] in package["files"]
            assert sri(record.parent / package["module"]) == package["moduleIntegrity"], package["module"]


def test_the_import_map_names_each_vendored_module_by_its_package_with_its_hash():
    found = json.loads(importmap.import_map_text())
    assert set(found["imports"]) == {"@xterm/xterm", "@xterm/addon-fit", "marked", "dompurify"}
    for url in found["imports"].values():
        path = ROOT / "static" / url.removeprefix("/static/")
        assert found["integrity"][url] == sri(path), url

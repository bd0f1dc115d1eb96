"""The agents view's pure modules under `node --test`, and the vendored Markdown libraries."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.system import require_program

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = Path(__file__).parent / "js"
VENDORED = {"marked": "marked.esm.js", "dompurify": "purify.es.mjs"}


def test_the_agents_modules_pass_their_node_tests():
    node = require_program("node", "nodejs")
    # --experimental-detect-module: static/js is plain ES modules without a package.json to say so.
    result = subprocess.run(
        [node, "--experimental-detect-module", "--test", str(JS_TESTS)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout


def test_the_markdown_libraries_are_vendored_and_run_under_a_strict_policy():
    # Package, version, license and hashes: vendored.json, checked by tests/test_web_client_layout.py.
    for name, module in VENDORED.items():
        folder = ROOT / "static" / "vendor" / name
        (package,) = json.loads((folder / "vendored.json").read_text())["packages"]
        assert package["name"] == name and package["module"] == module
        source = (folder / module).read_text()
        # A strict Content-Security-Policy (script-src 'self') refuses both.
        assert "eval(" not in source and "new Function" not in source

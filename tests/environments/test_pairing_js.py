"""The pure pairing modules (host normalization, failure messages) under `node --test`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.system import require_program

JS_TESTS = Path(__file__).parent / "js"


def test_the_pairing_modules_pass_their_node_tests():
    node = require_program("node", "nodejs")
    # --experimental-detect-module: static/js is plain ES modules without a package.json to say so.
    result = subprocess.run(
        [node, "--experimental-detect-module", "--test", str(JS_TESTS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout

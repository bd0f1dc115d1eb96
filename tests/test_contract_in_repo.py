"""The contract is stated inside the repository (docs/contract.md), and nothing points outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A citation of a contract file that is not in this checkout (spelled in pieces, so this file is not one).
SHARED, CONTRACT = "shared/", "CONTRACT"
OUTSIDE = re.compile(
    "|".join(re.escape(text) for text in (f"../{SHARED}", f"{SHARED}{CONTRACT}", f"{CONTRACT} section"))
)


def test_docs_state_the_contract_in_full():
    contract = (ROOT / "docs" / "contract.md").read_text()
    for section in range(1, 10):
        assert re.search(rf"^## {section}\. ", contract, re.MULTILINE), f"section {section} is missing"


def test_no_code_or_doc_cites_a_contract_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    citing = []
    for name in tracked.splitlines():
        path = ROOT / name
        if name.startswith("static/vendor/") or not path.is_file() or path.suffix not in {".py", ".md", ".js", ".html"}:
            continue
        if OUTSIDE.search(path.read_text(errors="replace")):
            citing.append(name)
    assert citing == []

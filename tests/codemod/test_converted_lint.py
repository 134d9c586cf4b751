"""Every held-out and round-trip program the codemod converts fully is lint-clean.

Converted code a reviewer accepts passes ruff's default families (pyflakes, pycodestyle,
isort; lines up to 100) wherever the programs put it: this lints the output for all of
them at once, without running them (test_heldout and test_round_trip run them).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from smtpd_compat.codemod._engine import fix_source

HERE = Path(__file__).parent
FOLDERS = sorted([*HERE.glob("heldout*"), HERE / "programs"])


def ruff() -> str:
    found = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(found).exists():
        pytest.fail("ruff is not installed: pip install ruff")
    return found


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_fully_converted_programs_are_lint_clean(
    folder: Path, tmp_path: Path, every_program_converted: None
) -> None:
    shutil.copytree(folder, tmp_path / folder.name)
    where = tmp_path / folder.name
    shutil.copy(HERE / "programs" / "_record.py", where)  # first-party for isort, as run
    converted: List[str] = []
    for path in sorted(where.glob("[!_]*.py")):
        outcome = fix_source(path.read_text())
        if outcome.source != path.read_text() and not any(not r.note for r in outcome.reports):
            path.write_text(outcome.source)
            converted.append(path.name)
    assert len(converted) >= 10, converted  # the folder's programs did convert
    checked = subprocess.run(
        [ruff(), "check", "--isolated", "--select", "E,F,W,I", "--line-length", "100"]
        + converted,
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

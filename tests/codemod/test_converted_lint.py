"""Every held-out and round-trip program the codemod converts fully is lint-clean.

Converted code a reviewer accepts passes ruff's default families (pyflakes, pycodestyle,
isort; lines up to 100) wherever the programs put it: this lints the output for all of
them at once, without running them (test_heldout and test_round_trip run them). A program
that does not pass them itself (heldout11 keeps its originals' tabs and Python 2 idioms)
is left out: converted code follows the file's own indentation, tabs included.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Set

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
    programs = sorted(where.glob("[!_]*.py"))
    unclean = unclean_files(lint(where, [p.name for p in programs]).stdout)
    for path in programs:
        if path.name in unclean:
            continue  # not clean before conversion: its author's style, not the codemod's
        outcome = fix_source(path.read_text())
        if outcome.source != path.read_text() and not any(not r.note for r in outcome.reports):
            path.write_text(outcome.source)
            converted.append(path.name)
    assert len(converted) >= 10, converted  # the folder's programs did convert
    checked = lint(where, converted)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def unclean_files(concise: str) -> Set[str]:
    """The files ruff's concise output names (``path:line:col: CODE message``)."""
    return {line.split(":", 1)[0] for line in concise.splitlines() if ".py:" in line}


def lint(where: Path, names: List[str]) -> subprocess.CompletedProcess[str]:
    command = [ruff(), "check", "--isolated", "--output-format", "concise"]
    return subprocess.run(
        [*command, "--select", "E,F,W,I", "--line-length", "100", *names],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
    )

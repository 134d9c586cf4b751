"""migration_guide.md: its code blocks run, and every rule has its section.

Every ``diff`` block is a whole module before and after: the codemod must turn
the one into the other exactly. Every ``python`` block must compile.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

GUIDE = Path(__file__).parents[1] / "migration_guide.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
REQUIRED = [
    "## Why",
    "## Three paths",
    "## The one-line import change",
    "## The shim (smtpd_compat)",
    "## Channel subclasses",
    "## Legacy API and native equivalents",
    "## Deliberate differences from the stdlib smtpd",
    "## What needs manual work",
]


def blocks(language: str) -> List[str]:
    return [body for lang, body in BLOCK.findall(GUIDE.read_text()) if lang == language]


def split_diff(diff: str) -> Tuple[str, str]:
    before, after = [], []
    for line in diff.splitlines(keepends=True)[3:]:  # ---, +++, @@
        marker, text = line[:1], line[1:]
        if marker in " -":
            before.append(text)
        if marker in " +":
            after.append(text)
    return "".join(before), "".join(after)


def test_sections_are_present():
    text = GUIDE.read_text()
    assert [s for s in REQUIRED if f"\n{s}\n" not in text] == []


def needs_codemod() -> None:
    """libcst exists from Python 3.9 on; there a missing one fails, never skips."""
    if sys.version_info < (3, 9):
        pytest.skip("the codemod needs Python 3.9+ (libcst)")


def test_every_rule_has_its_section():
    needs_codemod()
    from smtpd_compat.codemod.rules import RULES

    headings = GUIDE.read_text().splitlines()
    assert [r.section for r in RULES if f"## {r.section}" not in headings] == []


@pytest.mark.parametrize("source", blocks("python"))
def test_python_blocks_compile(source):
    compile(source, str(GUIDE), "exec")


@pytest.mark.parametrize("diff", blocks("diff"))
def test_diff_blocks_are_what_the_codemod_does(diff):
    needs_codemod()
    from smtpd_compat.codemod._engine import fix_source

    before, after = split_diff(diff)
    compile(after, str(GUIDE), "exec")
    assert fix_source(before).source == after
    assert fix_source(after).source == after

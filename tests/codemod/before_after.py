"""Before/after helpers in the style of django-upgrade's tests/fixers."""

from __future__ import annotations

import difflib
import re
import textwrap
from typing import List


def dedent(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def check_noop(source: str, *rules: str) -> List[str]:
    """The source stays as it is; returns the report lines."""
    outcome = run(source, *rules)
    assert outcome.source == dedent(source), difference(dedent(source), outcome.source)
    assert outcome.source == dedent(source)
    return [r.format("t.py") for r in outcome.reports if not r.note]


def check_transformed(before: str, after: str, *rules: str) -> List[str]:
    outcome = run(before, *rules)
    assert outcome.source == dedent(after), difference(dedent(after), outcome.source)
    assert outcome.source == dedent(after)
    assert run(outcome.source, *rules).source == outcome.source  # idempotent
    return [r.format("t.py") for r in outcome.reports if not r.note]


WRAPPED_CALL = re.compile(r"\(\n((?:    [^\n]*\n)+?)\)")


def unwrapped(source: str) -> str:
    """The source with top-level calls wrapped over several lines joined back into one."""

    def join(match: re.Match[str]) -> str:
        inner = " ".join(line.strip() for line in match.group(1).splitlines())
        return "(" + inner.rstrip(",") + ")"

    return WRAPPED_CALL.sub(join, source)


def difference(expected: str, got: str) -> str:
    """A unified diff for the failure message (this helper is not assertion-rewritten)."""
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True), got.splitlines(keepends=True), "expected", "got"
    )
    return "".join(lines)


def run(source: str, *rules: str):
    from smtpd_compat.codemod._engine import fix_source
    from smtpd_compat.codemod.rules import RULES

    selected = [r for r in RULES if not rules or r.name in rules]
    return fix_source(dedent(source), selected)

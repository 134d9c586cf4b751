"""Statements joined by ``;`` on one line, split before the rules read the module.

A shell alias saved as a script (``import smtpd, asyncore; smtpd.DebuggingServer(("",
25), None); asyncore.loop()``) puts the server and its loop on one line, where the
rules, which rewrite whole statements, cannot reach them. Such a line that names a
legacy module is split one statement per line first; the reports are then told at the
line the statement came from. A module the rules leave as it was keeps its lines.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Sequence, Tuple, Union

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from smtpd_compat.codemod._names import LEGACY_MODULES
from smtpd_compat.codemod._report import Report


class JoinedLines(cst.CSTTransformer):
    """Splits the one-line ``a; b`` statements naming a legacy module; notes where they were."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.split: Dict[int, int] = {}  # original line -> how many statements it had

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> Union[cst.SimpleStatementLine, cst.FlattenSentinel[cst.SimpleStatementLine]]:
        if len(updated_node.body) < 2:
            return updated_node
        position = self.get_metadata(PositionProvider, original_node)
        code = cst.Module(body=[]).code_for_node(updated_node)
        if position.start.line != position.end.line or not any(w in code for w in LEGACY_MODULES):
            return updated_node
        self.split[position.start.line] = len(updated_node.body)
        last = len(updated_node.body) - 1
        lines = []
        for index, small in enumerate(updated_node.body):
            line = cst.SimpleStatementLine(
                body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
                leading_lines=updated_node.leading_lines if index == 0 else [],
            )
            if index == last:  # the comment at the end of the line stays there
                line = line.with_changes(trailing_whitespace=updated_node.trailing_whitespace)
            lines.append(line)
        return cst.FlattenSentinel(lines)


def split_joined(module: cst.Module) -> Tuple[cst.Module, List[int]]:
    """The module with its joined legacy lines split, and for each line of it the line of
    ``module`` it came from."""
    lines = module.code.splitlines()
    if not any(";" in line and any(w in line for w in LEGACY_MODULES) for line in lines):
        return module, list(range(1, len(lines) + 2))  # nothing joined: no second parse
    finder = JoinedLines()
    split = MetadataWrapper(module).visit(finder)
    origin: List[int] = []
    for line in range(1, len(lines) + 2):
        origin.extend([line] * finder.split.get(line, 1))
    return split, origin


def at_original_lines(reports: Sequence[Report], origin: List[int]) -> List[Report]:
    return [
        replace(r, line=origin[r.line - 1] if r.line <= len(origin) else r.line) for r in reports
    ]

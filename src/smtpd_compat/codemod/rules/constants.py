"""Rule ``constants``: smtpd's constants and its ``Devnull`` become the module's own.

Guide section: "Rule constants: smtpd's constants and Devnull".

Programs pass ``data_size_limit=smtpd.DATA_SIZE_DEFAULT`` on to their server, or point
their own diagnostics at ``smtpd.Devnull()``. These are plain values and a class of two
empty methods, so converted code defines the ones it uses once, after its imports, as
smtpd defined them, and ``smtpd.DATA_SIZE_DEFAULT`` becomes ``DATA_SIZE_DEFAULT``. A
module that already uses one of those names for something else keeps the reference,
which is then reported.
"""

from __future__ import annotations

from typing import Dict, List

import libcst as cst

from smtpd_compat.codemod._build import insert_helpers
from smtpd_compat.codemod._plan import SECTION_CONSTANTS, Plan
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._rule import Result, Rule

RULE = Rule("constants", "smtpd's constants and Devnull become the module's own", SECTION_CONSTANTS)

DEVNULL = '''class Devnull:
    """smtpd.Devnull: a stream that discards what is written to it."""

    def write(self, msg):
        pass

    def flush(self):
        pass
'''
#: smtpd's name (after ``smtpd.``), which the module takes over -> smtpd's definition of it
DEFINITIONS: Dict[str, str] = {
    "DATA_SIZE_DEFAULT": (
        "DATA_SIZE_DEFAULT = 33554432  # smtpd's default data_size_limit: 32 MiB\n"
    ),
    "NEWLINE": 'NEWLINE = "\\n"  # smtpd.NEWLINE\n',
    "COMMASPACE": 'COMMASPACE = ", "  # smtpd.COMMASPACE\n',
    "Devnull": DEVNULL,
}


@RULE.analysis
def find_constants(planner: Planner, module: cst.Module) -> None:
    """``smtpd.<constant>`` references whose short name the module uses nowhere else."""
    found: Dict[str, List[cst.Attribute]] = {}
    for attribute in planner.attributes:
        owner, _, name = (planner.legacy(attribute) or "").partition(".")
        if owner == "smtpd" and name in DEFINITIONS:
            found.setdefault(name, []).append(attribute)
    for name, references in found.items():
        if planner.name_uses.get(name, 0) == len(references):  # the references' own .attr
            planner.plan.constants.update((r, name) for r in references)


@RULE.needed_when
def uses_constants(plan: Plan) -> bool:
    return bool(plan.constants)


@RULE.on(cst.Attribute)
def unprefix(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """``smtpd.DATA_SIZE_DEFAULT`` becomes ``DATA_SIZE_DEFAULT``."""
    if plan.convert and isinstance(original, cst.Attribute) and original in plan.constants:
        return cst.Name(plan.constants[original])
    return updated


@RULE.on(cst.Module)
def define_constants(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not plan.constants:
        return updated
    assert isinstance(updated, cst.Module)
    definitions = sorted(DEFINITIONS[name] for name in set(plan.constants.values()))
    return insert_helpers(updated, "\n\n".join(definitions))

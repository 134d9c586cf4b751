"""Rule ``banner``: ``smtpd.__version__ = "..."`` becomes the Controller's ``ident=``.

Guide section: "Rule banner: smtpd.__version__ becomes ident".

smtpd greeted with ``220 <fqdn> <smtpd.__version__>``, reading the module
global when each connection came in; aiosmtpd greets with ``220 <hostname>
<ident>``. A module that sets ``__version__`` once, to a non-empty string
literal, at its top level and before it starts serving, and never reads it,
keeps its greeting: the assignment goes and every Controller gets ``ident=``.
Any other use is reported.
"""

from __future__ import annotations

import libcst as cst

from smtpd_compat.codemod._plan import SECTION_BANNER, Plan
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._rule import Result, Rule

RULE = Rule("banner", "smtpd.__version__ becomes the Controller's ident=", SECTION_BANNER)
VERSION = "smtpd.__version__"


@RULE.analysis
def find_banner(planner: Planner, module: cst.Module) -> None:
    """One top-level ``smtpd.__version__ = "..."`` before serving, never read: it can go."""
    uses = [a for a in planner.attributes if planner.legacy(a) == VERSION]
    for name, assign in planner.module_settings:
        statement = planner.statement_of(assign.value)
        if name != VERSION or statement is None or len(uses) != 1:
            continue
        value = assign.value
        if not any(statement is s for s in module.body) or not isinstance(value, cst.SimpleString):
            continue
        starts = [planner.line(c) for c in planner.loop_calls]
        starts += [planner.line(c) for c, _ in planner.thread_targets]
        if value.evaluated_value and all(planner.line(statement) < line for line in starts):
            planner.plan.banner, planner.plan.ident = statement, value.value
    if uses and planner.plan.banner is None and planner.plan.servers:
        # Converted servers would greet differently: leave the module as it is.
        planner.block(
            uses[0],
            "smtpd.__version__ (the greeting) is not set once, to a string literal, "
            "at the top level before serving, or it is read",
            SECTION_BANNER,
        )


@RULE.needed_when
def keeps_greeting(plan: Plan) -> bool:
    return plan.banner is not None


@RULE.on(cst.SimpleStatementLine)
def drop_assignment(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if plan.convert and plan.banner is not None and original is plan.banner:
        return cst.RemovalSentinel.REMOVE
    return updated

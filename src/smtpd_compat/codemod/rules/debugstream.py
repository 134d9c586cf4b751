"""Rule ``debugstream``: drop assignments that only silence ``smtpd.DEBUGSTREAM``.

Guide section: "Rule debugstream: silencing smtpd.DEBUGSTREAM".

smtpd wrote its diagnostics to the module global ``DEBUGSTREAM``, a sink that
discards them unless a program replaced it. Converted code has no smtpd to
write there. So a module-level ``smtpd.DEBUGSTREAM = io.StringIO()`` or
``= open(os.devnull, "w")``, in a module that never reads ``DEBUGSTREAM``
again, throws away output nobody can read before or after: it goes. Any other
assignment (``sys.stderr``, a log file) wanted the diagnostics and is reported:
aiosmtpd logs to the ``mail.log`` logger instead.
"""

from __future__ import annotations

import libcst as cst

from smtpd_compat.codemod._build import code_of
from smtpd_compat.codemod._plan import SECTION_DEBUGSTREAM, Plan
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._rule import Result, Rule

RULE = Rule("debugstream", "assignments that silence smtpd.DEBUGSTREAM go", SECTION_DEBUGSTREAM)
DEBUGSTREAM = "smtpd.DEBUGSTREAM"
# Values that only throw smtpd's diagnostics away: nothing else can read them.
SILENT_SINKS = ("io.StringIO()", "open(os.devnull, 'w')", 'open(os.devnull, "w")')


@RULE.analysis
def find_silencing(planner: Planner, module: cst.Module) -> None:
    """One top-level ``smtpd.DEBUGSTREAM = <a sink nobody reads>``, never read again."""
    uses = [a for a in planner.attributes if planner.legacy(a) == DEBUGSTREAM]
    for name, assign in planner.module_settings:
        statement = planner.statement_of(assign.value)
        if name != DEBUGSTREAM or statement is None or len(uses) != 1:
            continue
        if any(statement is s for s in module.body) and code_of(assign.value) in SILENT_SINKS:
            planner.plan.silenced_debugstream.append(statement)


@RULE.on(cst.SimpleStatementLine)
def drop_silencing(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if plan.convert and any(original is s for s in plan.silenced_debugstream):
        return cst.RemovalSentinel.REMOVE
    return updated

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
from smtpd_compat.codemod._rule import Result, Rule

RULE = Rule("banner", "smtpd.__version__ becomes the Controller's ident=", SECTION_BANNER)


@RULE.on(cst.SimpleStatementLine)
def drop_assignment(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if plan.convert and plan.banner is not None and original is plan.banner:
        return cst.RemovalSentinel.REMOVE
    return updated

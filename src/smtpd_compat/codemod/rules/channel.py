"""Rule ``channel``: report ``smtpd.SMTPChannel`` subclasses for rewriting by hand.

Guide section: "Rule channel: SMTPChannel subclasses".

A channel subclass changes the protocol itself (new verbs, AUTH, custom states,
``found_terminator``): aiosmtpd spells each of these differently (``handle_MAIL``
and ``handle_RCPT`` hooks, an ``authenticator=``, an ``SMTP`` subclass). This
rule names each overridden method and its native equivalent; it changes no code.
"""

from __future__ import annotations

from typing import List

import libcst as cst

from smtpd_compat.codemod._plan import SECTION_CHANNEL, Plan
from smtpd_compat.codemod._report import Report
from smtpd_compat.codemod._rule import Rule

RULE = Rule(
    "channel", "SMTPChannel subclasses are reported with their native hooks", SECTION_CHANNEL
)

NATIVE = {
    "smtp_MAIL": "a handle_MAIL hook",
    "smtp_RCPT": "a handle_RCPT hook",
    "smtp_AUTH": "an authenticator= callable",
    "smtp_EHLO": "a handle_EHLO hook",
    "smtp_HELO": "a handle_HELO hook",
    "smtp_VRFY": "a handle_VRFY hook",
    "smtp_RSET": "a handle_RSET hook",
    "smtp_NOOP": "a handle_NOOP hook",
    "smtp_QUIT": "a handle_QUIT hook",
}
FALLBACK = "an aiosmtpd.smtp.SMTP subclass"


def overridden(node: cst.ClassDef) -> List[str]:
    return [s.name.value for s in node.body.body if isinstance(s, cst.FunctionDef)]


def describe(node: cst.ClassDef) -> str:
    methods = overridden(node)
    parts = [f"{m} -> {NATIVE.get(m, FALLBACK)}" for m in methods if m != "__init__"]
    listed = "; ".join(parts) or "no methods"
    return f"SMTPChannel subclass {node.name.value} left as is ({listed})"


def channel_reports(plan: Plan, lines: List[int]) -> List[Report]:
    """One report per channel subclass, at the line of its ``class`` statement."""
    return [
        Report(line, describe(node), SECTION_CHANNEL) for node, line in zip(plan.channels, lines)
    ]

"""Rule ``channel``: report the ``smtpd.SMTPChannel`` subclasses no rule converted.

Guide section: "Rule channel: SMTPChannel subclasses".

A channel subclass changes the protocol itself (new verbs, AUTH, custom states,
``found_terminator``): aiosmtpd spells each of these differently (``handle_MAIL``
and ``handle_RCPT`` hooks, an ``authenticator=``, an ``SMTP`` subclass). The
``policy`` rule converts the policy overrides it can prove equivalent; for
every other channel this rule names each overridden method, its native
equivalent and why it was left; it changes no code.
"""

from __future__ import annotations

from typing import List

import libcst as cst

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._plan import SECTION_AUTH, SECTION_CHANNEL, Plan
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._report import Report
from smtpd_compat.codemod._rule import Rule

RULE = Rule(
    "channel", "SMTPChannel subclasses are reported with their native hooks", SECTION_CHANNEL
)


@RULE.analysis
def check_channel_uses(planner: Planner, module: cst.Module) -> None:
    """A channel class that goes must not be used anywhere but in ``channel_class``."""
    servers = planner.plan.servers
    for channel in {id(s.channel): s.channel for s in servers if s.channel}.values():
        assigned = sum(1 for s in servers if s.channel is channel)
        if planner.name_uses.get(channel.name, 0) != assigned + 1:
            planner.block(
                channel.node,
                f"class {channel.name} is used elsewhere than in channel_class",
                SECTION_CHANNEL,
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
AUTH_PART = "aiosmtpd's own AUTH exchange, or the authenticator"


def overridden(node: cst.ClassDef) -> List[str]:
    return [s.name.value for s in block_body(node.body) if isinstance(s, cst.FunctionDef)]


def describe(node: cst.ClassDef, plan: Plan) -> str:
    methods = overridden(node)
    fallback = AUTH_PART if "smtp_AUTH" in methods else FALLBACK
    parts = [f"{m} -> {NATIVE.get(m, fallback)}" for m in methods if m != "__init__"]
    listed = "; ".join(parts) or "no methods"
    analysed = plan.channel_plans.get(node.name.value)
    why = analysed.reasons if analysed is not None else []
    because = f": {why[0]}" if why else ""
    return f"SMTPChannel subclass {node.name.value} left as is ({listed}){because}"


def channel_reports(plan: Plan, lines: List[int]) -> List[Report]:
    """One report per channel subclass left as is, at the line of its ``class`` statement."""
    converted = plan.converted_channels
    return [
        Report(line, describe(node, plan), section_of(node))
        for node, line in zip(plan.channels, lines)
        if not any(node is c for c in converted)
    ]


def section_of(node: cst.ClassDef) -> str:
    """AUTH channels point to the auth rule's section, which says what it converts."""
    return SECTION_AUTH if "smtp_AUTH" in overridden(node) else SECTION_CHANNEL

"""Rule ``verbs``: a channel adding new verbs becomes an aiosmtpd ``SMTP`` subclass.

Guide section: "Rule verbs: new verbs become an SMTP subclass".

smtpd dispatched each command to ``smtp_<VERB>`` on the channel, so a subclass
added a verb (``XCLIENT``, ``EXPN``) with one method; aiosmtpd dispatches the
same way on its ``SMTP`` class, whose replies are coroutines. A channel whose
every method is a new verb answering with literal replies becomes an ``SMTP``
subclass with the same methods (``await self.push(...)``), and a Controller
subclass whose ``factory()`` (aiosmtpd's documented way) builds its sessions;
the server's ``channel_class`` line goes. Anything else is reported.
"""

from __future__ import annotations

from typing import List

import libcst as cst

from smtpd_compat.codemod._build import statements, with_leading_lines
from smtpd_compat.codemod._channels import ChannelPlan
from smtpd_compat.codemod._plan import SECTION_VERBS, Plan
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._rule import Result, Rule
from smtpd_compat.codemod.rules.auth import without_channel_class

RULE = Rule("verbs", "channels adding verbs become an aiosmtpd SMTP subclass", SECTION_VERBS)


@RULE.needed_when
def has_new_verbs(plan: Plan) -> bool:
    return any(s.channel is not None and s.channel.verbs for s in plan.servers)


@RULE.analysis
def check_controller_name(planner: Planner, module: cst.Module) -> None:
    """The Controller subclass this rule writes must not take a name the module uses."""
    for server in planner.plan.servers:
        channel = server.channel
        if channel is not None and channel.verbs:
            name = f"{channel.name}Controller"
            if name in planner.name_uses:
                planner.block(
                    channel.node, f"the name {name} is taken in this module", SECTION_VERBS
                )


def session_classes(channel: ChannelPlan) -> List[cst.BaseStatement]:
    """The SMTP subclass with the channel's verbs, and the Controller that builds it."""
    lines = [
        f"class {channel.name}(SMTP):",
        f'    """The verbs the smtpd channel {channel.name} added, on aiosmtpd\'s SMTP."""',
    ]
    for verb in channel.verbs:
        lines += ["", f"    async def {verb.method.name.value}(self, arg):"]
        lines += [f"        await self.push({reply})" for reply in verb.replies]
    lines += [
        "",
        "",
        f"class {channel.name}Controller(BoundController):",
        f'    """A BoundController whose sessions are {channel.name}s."""',
        "",
        "    def factory(self):",
        f"        return {channel.name}(self.handler, **self.SMTP_kwargs)",
    ]
    return statements("\n".join(lines) + "\n")


@RULE.on(cst.ClassDef)
def convert(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not isinstance(updated, cst.ClassDef):
        return updated
    for server in plan.servers:
        channel = server.channel
        if channel is None or not channel.verbs:
            continue
        if original is channel.node:
            plan.imports.add(("aiosmtpd.smtp", "SMTP"))
            new = session_classes(channel)
            first = with_leading_lines(new[0], updated.leading_lines)
            return cst.FlattenSentinel([first, *new[1:]])
        if original is server.node:
            return without_channel_class(updated)
    return updated

"""Rule ``policy``: ``smtp_MAIL``/``smtp_RCPT`` policy overrides become handler hooks.

Guide section: "Rule policy: smtp_MAIL and smtp_RCPT overrides become hooks".

A channel subclass whose every method is a policy override ("check something,
push an error and return, else call the base") goes, with the server's
``channel_class`` line; the server's handler gains ``handle_MAIL`` /
``handle_RCPT`` hooks that run the same checks and otherwise accept as smtpd
and aiosmtpd do by default (``envelope.mail_from = address`` ...,
``"250 OK"``). The checks may read the server (``self.smtp_server`` becomes
the handler's ``self``), the peer, the envelope so far and the address parsed
by ``self._getaddr(self._strip_command_keyword(...))``, which aiosmtpd parses
the same way; anything else leaves the channel as it is, reported.
"""

from __future__ import annotations

from typing import List

import libcst as cst

from smtpd_compat.codemod._build import EMPTY, block_body, code_of, statement
from smtpd_compat.codemod._channels import ChannelPlan, PolicyHook, channel_class_of, in_hook
from smtpd_compat.codemod._plan import SECTION_POLICY, Plan
from smtpd_compat.codemod._rule import Result, Rule

RULE = Rule("policy", "smtp_MAIL/smtp_RCPT policy overrides become hooks", SECTION_POLICY)


@RULE.needed_when
def has_policy_channel(plan: Plan) -> bool:
    return any(s.channel is not None and s.channel.hooks for s in plan.servers)


SIGNATURES = {
    "MAIL": "async def handle_MAIL(self, server, session, envelope, address, mail_options):",
    "RCPT": "async def handle_RCPT(self, server, session, envelope, address, rcpt_options):",
}
ACCEPT = {
    "MAIL": ("envelope.mail_from = address", "envelope.mail_options.extend(mail_options)"),
    "RCPT": ("envelope.rcpt_tos.append(address)", "envelope.rcpt_options.extend(rcpt_options)"),
}


def hook_code(channel: ChannelPlan, hook: PolicyHook) -> str:
    lines = [
        SIGNATURES[hook.verb],
        f"    # The checks of {channel.name}.smtp_{hook.verb}, then smtpd's acceptance.",
    ]
    if hook.address and hook.address != "address":
        lines.append(f"    {hook.address} = address")
    for guard in hook.guards:
        lines.append(f"    if {code_of(in_hook(guard.condition))}:")
        lines.append(f"        return {code_of(in_hook(guard.reply))}")
    lines += [f"    {line}" for line in ACCEPT[hook.verb]]
    lines.append('    return "250 OK"')
    return "\n".join(lines) + "\n"


def hooks(channel: ChannelPlan) -> List[cst.BaseStatement]:
    ordered = sorted(channel.hooks, key=lambda h: h.verb)  # MAIL before RCPT
    made = [statement(hook_code(channel, h)) for h in ordered]
    return [h.with_changes(leading_lines=[EMPTY]) for h in made]


@RULE.on(cst.ClassDef)
def convert(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not isinstance(updated, cst.ClassDef):
        return updated
    # a channel that also becomes an SMTP subclass (rule verbs) is replaced there, not removed
    hooked = [
        s.channel.node
        for s in plan.servers
        if s.channel and s.channel.hooks and not s.channel.session
    ]
    if any(original is c for c in plan.converted_channels if any(c is h for h in hooked)):
        return cst.RemovalSentinel.REMOVE
    server = next((s for s in plan.servers if s.node is original), None)
    if server is None or server.channel is None or not server.channel.hooks:
        return updated
    _, assignment = channel_class_of(updated)
    body: List[cst.BaseStatement] = []
    for stmt in block_body(updated.body):
        if stmt is assignment:
            continue
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "handle_DATA":
            new = hooks(server.channel)
            body += [new[0].with_changes(leading_lines=stmt.leading_lines), *new[1:]]
            stmt = stmt.with_changes(leading_lines=[EMPTY])
        body.append(stmt)
    if body and block_body(updated.body)[0] is assignment:
        body[0] = body[0].with_changes(leading_lines=[])
    return updated.with_changes(body=updated.body.with_changes(body=body))

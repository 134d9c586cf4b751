"""Rule ``verbs``: a channel's ``smtp_VERB`` methods become an aiosmtpd ``SMTP`` subclass.

Guide section: "Rule verbs: new verbs become an SMTP subclass".

smtpd dispatched each command to ``smtp_<VERB>`` on the channel, so a subclass
added a verb (``XCLIENT``, ``LHLO``, ``XFORWARD``) or replaced one (``EHLO``,
``RCPT`` reading the raw argument) with one method; aiosmtpd dispatches the same
way on its ``SMTP`` class, with the same raw argument, and its replies are
coroutines. Such a channel becomes an ``SMTP`` subclass with the same methods
(``await self.push(...)``, ``await super().smtp_HELO(arg)``, the channel state
read where aiosmtpd keeps it, see ``_session``), and a Controller subclass whose
``factory()`` (aiosmtpd's documented way) builds its sessions; the server's
``channel_class`` line (or its ``handle_accept`` building the channel) goes.
A method that can raise gets a note: aiosmtpd answers 500 where smtpd dropped
the connection. Anything else is reported.
"""

from __future__ import annotations

from typing import List, Tuple

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import (
    EMPTY,
    block_body,
    statement,
    statements,
    with_leading_lines,
)
from smtpd_compat.codemod._channels import ChannelPlan
from smtpd_compat.codemod._names import dotted_name
from smtpd_compat.codemod._plan import DISPATCHER_ATTRS, LEGACY_ATTRS, SECTION_VERBS, Plan
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._rule import Result, Rule
from smtpd_compat.codemod._session import SELF_CHECK
from smtpd_compat.codemod.rules.auth import without_channel_class

RULE = Rule("verbs", "channels adding verbs become an aiosmtpd SMTP subclass", SECTION_VERBS)


@RULE.needed_when
def has_session_methods(plan: Plan) -> bool:
    return any(s.channel is not None and s.channel.session for s in plan.servers)


@RULE.analysis
def check_controller_name(planner: Planner, module: cst.Module) -> None:
    """The Controller subclass this rule writes must not take a name the module uses."""
    for server in planner.plan.servers:
        channel = server.channel
        if channel is not None and channel.session:
            name = f"{channel.name}Controller"
            if name in planner.name_uses:
                planner.block(
                    channel.node, f"the name {name} is taken in this module", SECTION_VERBS
                )


@RULE.analysis
def check_server_reads(planner: Planner, module: cst.Module) -> None:
    """``self.smtp_server.X`` is the handler's X: not the dispatcher's, nor smtpd's settings."""
    lost = DISPATCHER_ATTRS | set(LEGACY_ATTRS)
    channels = {id(s.channel): s.channel for s in planner.plan.servers if s.channel}
    for channel in channels.values():
        read: List[Tuple[str, cst.CSTNode, cst.CSTNode]] = [
            (m.name, m.original, m.original) for m in channel.verbs
        ]
        if channel.init is not None:  # the values its __init__ keeps, as the subclass has them
            read += [("__init__", channel.init, s) for _, s in channel.init_attributes]
        for name, method, code in read:
            for server, attr in server_reads(code):
                what = f"the server's {attr}" if name == "__init__" else f"{server}.{attr}"
                if attr in lost:
                    planner.block(
                        method,
                        f"{channel.name}.{name} reads {what}: "
                        "the converted handler has no such attribute",
                        SECTION_VERBS,
                    )


def server_reads(code: cst.CSTNode) -> List[Tuple[str, str]]:
    """``(server, X)`` of each ``self.smtp_server.X`` (``self.event_handler.X`` once kept)."""
    m = cst.matchers
    found = []
    for read in m.findall(code, m.Attribute()):
        assert isinstance(read, cst.Attribute)
        owner = dotted_name(read.value)
        if owner is not None and owner in ("self.smtp_server", "self.event_handler"):
            found.append((owner, read.attr.value))
    return found


@RULE.analysis
def note_raising_methods(planner: Planner, module: cst.Module) -> None:
    """A method that can raise: aiosmtpd answers 500 and goes on, smtpd dropped the client."""
    channels = {id(s.channel): s.channel for s in planner.plan.servers if s.channel}
    for channel in channels.values():
        for method in (m for m in channel.verbs if m.raises and m.name != "push"):
            planner.add_note(
                method.original,
                f"{channel.name}.{method.name}: an exception in it now answers "
                f"'500 Error: (ExceptionName) text' and the session goes on (smtpd "
                f"{channel.legacy_error}): catch it in the method if clients rely on that",
                SECTION_VERBS,
            )


@RULE.analysis
def note_push_override(planner: Planner, module: cst.Module) -> None:
    """A ``push`` override sees aiosmtpd's replies, where they differ from smtpd's too."""
    channels = {id(s.channel): s.channel for s in planner.plan.servers if s.channel}
    for channel in channels.values():
        for method in (m for m in channel.verbs if m.name == "push"):
            raises = (
                "; an exception in it ends the session without a reply (smtpd "
                f"{channel.legacy_error}): catch it in push"
            )
            planner.add_note(
                method.original,
                f"{channel.name}.push now gets aiosmtpd's replies, the greeting among them: "
                "where their text differs from smtpd's (this file's other notes say where) it "
                f"gets aiosmtpd's text, and the greeting of {SELF_CHECK}"
                f"{raises if method.raises else ''}",
                SECTION_VERBS,
            )


@RULE.analysis
def note_init_changes(planner: Planner, module: cst.Module) -> None:
    """What the channel's ``__init__`` changed that the SMTP subclass changes otherwise."""
    channels = {id(s.channel): s.channel for s in planner.plan.servers if s.channel}
    for channel in channels.values():
        if channel.session:
            for node, note in channel.init_notes:
                planner.add_note(node, note, SECTION_VERBS)


def session_classes(channel: ChannelPlan) -> List[cst.BaseStatement]:
    """The SMTP subclass with the channel's methods, and the Controller that builds it."""
    lines = [
        f"class {channel.name}(SMTP):",
        f'    """The commands of the smtpd channel {channel.name}, on aiosmtpd\'s SMTP."""',
        "",
        "",
        f"class {channel.name}Controller(BoundController):",
        f'    """A BoundController whose sessions are {channel.name}s."""',
        "",
        "    def factory(self):",
        f"        return {channel.name}(self.handler, **self.SMTP_kwargs)",
    ]
    session, controller = statements("\n".join(lines) + "\n")
    assert isinstance(session, cst.ClassDef)
    methods = [m.method.with_changes(leading_lines=spaced(m.method)) for m in channel.verbs]
    body = [*block_body(session.body), *session_init(channel), *methods]
    return [session.with_changes(body=session.body.with_changes(body=body)), controller]


def session_init(channel: ChannelPlan) -> List[cst.BaseStatement]:
    """The channel's ``__init__``: the values it keeps, as the SMTP subclass computes them."""
    if not channel.init_attributes:
        return []
    init = statement(
        "def __init__(self, *args, **kwargs):\n    super().__init__(*args, **kwargs)\n"
    )
    assert isinstance(init, cst.FunctionDef)
    body = [*block_body(init.body), *(kept for _, kept in channel.init_attributes)]
    init = init.with_changes(body=init.body.with_changes(body=body))
    return [init.with_changes(leading_lines=[EMPTY])]


def spaced(method: cst.FunctionDef) -> List[cst.EmptyLine]:
    """A blank line above the method, then the comments it had."""
    return [EMPTY, *(line for line in method.leading_lines if line.comment)]


@RULE.on(cst.ClassDef)
def convert(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not isinstance(updated, cst.ClassDef):
        return updated
    for server in plan.servers:
        channel = server.channel
        if channel is None or not channel.session:
            continue
        if original is channel.node:
            plan.imports.add(("aiosmtpd.smtp", "SMTP"))
            if any(m.method.decorators for m in channel.verbs):
                plan.imports.add(("aiosmtpd.smtp", "syntax"))
            new = session_classes(channel)
            first = with_leading_lines(new[0], updated.leading_lines)
            return cst.FlattenSentinel([first, *new[1:]])
        if original is server.node:
            return without_channel_class(updated)
    return updated

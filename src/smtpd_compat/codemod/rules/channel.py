"""Rule ``channel``: report the ``smtpd.SMTPChannel`` subclasses no rule converted.

Guide section: "Rule channel: SMTPChannel subclasses".

A channel subclass changes the protocol itself (new verbs, AUTH, custom states,
``found_terminator``): aiosmtpd spells each of these differently (``handle_MAIL``
and ``handle_RCPT`` hooks, an ``authenticator=``, an ``SMTP`` subclass). The
``policy`` rule converts the policy overrides it can prove equivalent; for
channel whose methods are commands, ``verbs`` makes an ``SMTP`` subclass. This
rule removes a channel that only overrides ``handle_error`` (its report runs
where converted code catches process_message's error, see rule handler), checks
that the server builds its channels as smtpd did, and for every other channel
names each overridden method, its native equivalent and why it was left.
"""

from __future__ import annotations

from typing import List, Optional, Set, Tuple

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._accept import (
    BUILDS_NOTHING,
    accept_method,
    may_raise,
    read_accept,
)
from smtpd_compat.codemod._build import block_body, code_of
from smtpd_compat.codemod._channel_args import builder_call, settings_passed
from smtpd_compat.codemod._channels import ChannelPlan, channel_class_of
from smtpd_compat.codemod._names import dotted_name
from smtpd_compat.codemod._plan import (
    DISPATCHER_ATTRS,
    LEGACY_ATTRS,
    SECTION_AUTH,
    SECTION_CHANNEL,
    SERVER_BASES,
    Plan,
    ServerClass,
)
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._report import Report
from smtpd_compat.codemod._rule import Result, Rule
from smtpd_compat.codemod._session import own_attributes
from smtpd_compat.codemod.rules.auth import without_channel_class

RULE = Rule(
    "channel", "SMTPChannel subclasses are reported with their native hooks", SECTION_CHANNEL
)


@RULE.analysis
def check_channel_uses(planner: Planner, module: cst.Module) -> None:
    """A channel class that goes must not be used anywhere but in ``channel_class``."""
    servers = planner.plan.servers
    for channel in planner.plan.attached_channels:
        assigned = sum(1 for s in servers if s.channel is channel)
        m = cst.matchers  # its own name inside it: the class statement, super(Channel, self)
        inside = len(m.findall(channel.node, m.Name(channel.name)))
        if channel.synthesized:  # the class the accept code gets: a name nothing uses yet
            assigned = inside = 0
        if planner.name_uses.get(channel.name, 0) != assigned + inside:
            if channel.synthesized:
                server = next(s for s in servers if s.channel is channel)
                planner.block(
                    server.node, f"the name {channel.name} is taken in this module", SECTION_CHANNEL
                )
                continue
            planner.block(
                channel.node,
                f"class {channel.name} is used elsewhere than in channel_class",
                SECTION_CHANNEL,
            )


@RULE.analysis
def note_error_left_open(planner: Planner, module: cst.Module) -> None:
    """A handle_error that did not close left the client waiting; converted code answers."""
    for channel in planner.plan.attached_channels:
        if channel.error is None or channel.error_closes:
            continue
        method = next(m for m in overridden_methods(channel.node) if m.name.value == "handle_error")
        planner.add_note(
            method,
            f"{channel.name}.handle_error does not close the channel: after an exception in "
            "process_message smtpd sent no reply and the client waited until its own timeout; "
            "converted code answers 451 and the session goes on",
            SECTION_CHANNEL,
        )


def overridden_methods(node: cst.ClassDef) -> List[cst.FunctionDef]:
    return [s for s in block_body(node.body) if isinstance(s, cst.FunctionDef)]


# smtpd.SMTPChannel's parameters after the server, and smtpd's defaults for them.
CHANNEL_DEFAULTS = (
    ("conn", None),
    ("addr", None),
    ("data_size_limit", "33554432"),
    ("map", "None"),
    ("enable_SMTPUTF8", "False"),
    ("decode_data", "False"),
)


@RULE.analysis
def check_channel_building(planner: Planner, module: cst.Module) -> None:
    """The channel gets what smtpd gave it: its __init__ takes it, the settings match."""
    for server in planner.plan.servers:
        channel = server.channel
        if channel is None:
            continue
        if channel.init_leading:
            check_settings_not_passed(planner, server)
            continue
        _, building = channel_class_of(server.node)
        passed = arguments_passed(building, channel.name)
        if channel.accept is not None:  # built as smtpd did (the base call), or by hand
            building = channel.accept.method
            passed = arguments_passed(building, channel.name) if channel.accept.by_hand else 6
        if channel.init_extras:
            pass  # bound one by one to what the server passes (_channel_args)
        elif channel.init is not None and not takes(channel.init, passed):
            planner.block(
                channel.init,
                f"{channel.name}.__init__ does not take the {passed + 1} arguments the server "
                "builds it with: smtpd raised TypeError on every connection",
                SECTION_CHANNEL,
            )
        elif channel.init is None and 2 < passed < 6:
            planner.block(
                building or server.node,
                f"{server.name} passes {channel.name} more than (self, conn, addr): smtpd took "
                "them as its data_size_limit, map, enable_SMTPUTF8 or decode_data",
                SECTION_CHANNEL,
            )
        given = channel.init_settings if channel.init_extras else passed - 2
        if channel.accept is not None and channel.accept.by_hand and given == 0:
            channel.smtpd_defaults = True  # its sessions take smtpd's settings, not the server's
            server.decode_data = False if server.decode_data is not None else None
            continue
        call = None
        if isinstance(building, cst.FunctionDef):
            call = builder_call(building, channel.name)
        if call is not None and given == 4 and not channel.init_extras:
            why = settings_passed(call, 4)
            if why is not None:
                what = f"{server.name} builds {channel.name}: {why}"
                planner.block(call, what, SECTION_CHANNEL)
            continue
        if channel.init_extras and given == 4:
            continue  # the server's own settings (_channel_args checked them)
        if passed < 6 and building is not None:
            for name, value in settings(planner, server):
                planner.block(
                    building,
                    f"{server.name} builds {channel.name} with smtpd's default {name}, not "
                    f"its own ({value}): the converted sessions would take the server's",
                    SECTION_CHANNEL,
                )


def check_settings_not_passed(planner: Planner, server: ServerClass) -> None:
    """``Channel(extra, self, conn, addr, decode_data=self._decode_data)``: the settings it
    does not pass took smtpd's defaults, so the server's must be those defaults too (the
    converted sessions take the server's)."""
    channel = server.channel
    assert channel is not None and channel.accept is not None
    for name, value in settings(planner, server):
        if name not in channel.leading_settings:
            planner.block(
                channel.accept.method,
                f"{server.name} builds {channel.name} with smtpd's default {name}, not its "
                f"own ({value}): the converted sessions would take the server's",
                SECTION_CHANNEL,
            )


def arguments_passed(building: Optional[cst.BaseStatement], channel: str) -> int:
    """How many arguments after the server the channel got: 6 through channel_class."""
    if not isinstance(building, cst.FunctionDef):
        return 6
    call = builder_call(building, channel)
    return len(call.args) - 1 if call is not None else 2


def takes(init: cst.FunctionDef, passed: int) -> bool:
    """True when ``__init__(self, server, ...)`` accepts ``passed`` more positional arguments."""
    params = init.params.params[2:]
    if isinstance(init.params.star_arg, cst.Param):
        return sum(1 for p in params if p.default is None) <= passed
    return sum(1 for p in params if p.default is None) <= passed <= len(params)


def settings(planner: Planner, server: ServerClass) -> List[Tuple[str, str]]:
    """The server's data_size_limit, map, enable_SMTPUTF8 and decode_data unlike smtpd's."""
    given = [server.base_args, *(i.args for i in planner.plan.instances if i.server is server)]
    found = []
    for args in given:
        for name, default in CHANNEL_DEFAULTS[2:]:
            value = args.get(name)
            if value is not None and not is_default(value, default):
                found.append((name, code_of(value)))
    return found


def is_default(value: cst.BaseExpression, default: Optional[str]) -> bool:
    literal = value.value if isinstance(value, cst.Integer) else dotted_name(value)
    return literal == default


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
    "handle_error": "the except clause of the handler's handle_DATA",
    "collect_incoming_data": "data_received of an aiosmtpd.smtp.SMTP subclass",
}
FALLBACK = "an aiosmtpd.smtp.SMTP subclass"
AUTH_PART = "aiosmtpd's own AUTH exchange, or the authenticator"


def overridden(node: cst.ClassDef) -> List[str]:
    return [s.name.value for s in overridden_methods(node)]


def describe(node: cst.ClassDef, plan: Plan) -> str:
    methods = overridden(node)
    fallback = AUTH_PART if "smtp_AUTH" in methods else FALLBACK
    parts = [f"{m} -> {NATIVE.get(m, fallback)}" for m in methods if m != "__init__"]
    listed = "; ".join(parts) or "no methods"
    analysed = plan.channel_plans.get(node.name.value)
    why = analysed.reasons if analysed is not None else []
    because = f": {why[0]}" if why else ""
    if analysed is not None and analysed.convertible:
        because = ": it converts, but no server that builds it does (see the other reports)"
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


def error_only(channel: Optional[ChannelPlan]) -> bool:
    """A converted channel no other rule replaces: it only overrides handle_error."""
    if channel is None or channel.error is None:
        return False
    return not (channel.session or channel.hooks or channel.auth)


@RULE.needed_when
def has_error_only_channel(plan: Plan) -> bool:
    return any(error_only(s.channel) for s in plan.servers)


@RULE.on(cst.ClassDef)
def remove_error_only_channel(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """The channel goes, and so does the server's channel_class line (or handle_accept)."""
    if not plan.convert or not isinstance(updated, cst.ClassDef):
        return updated
    for server in plan.servers:
        if not error_only(server.channel):
            continue
        assert server.channel is not None
        if original is server.channel.node:
            return cst.RemovalSentinel.REMOVE
        if original is server.node:
            return without_channel_class(updated)
    return updated


@RULE.analysis
def check_accept_code(planner: Planner, module: cst.Module) -> None:
    """A server's accept code runs on its handler: what it reads must be the handler's too.

    Also: only the server that accepts for a channel may build it; the SMTP subclass
    keeps its controller as ``controller``; code that may raise is noted.
    """
    lost = DISPATCHER_ATTRS | set(LEGACY_ATTRS)
    for server in planner.plan.servers:
        channel = server.channel
        hook = channel.accept if channel is not None else None
        if channel is None or hook is None:
            continue
        planner.plan.dropped.append(hook.method)  # it goes with the legacy names it uses
        if channel.accepted_by != server.name:
            planner.block(
                server.node,
                f"{server.name} builds {channel.name}, whose accept code is "
                f"{channel.accepted_by}'s: the converted sessions would run it for both",
                SECTION_CHANNEL,
            )
        if "controller" in own_attributes(channel.node):
            planner.block(
                channel.node,
                f"{channel.name} keeps self.controller, the name its SMTP subclass reaches "
                "its Controller by",
                SECTION_CHANNEL,
            )
        for read in server_attributes(hook.statements) & lost:
            planner.block(
                hook.method,
                f"{server.name}.{hook.method.name.value} reads self.{read}: the converted "
                "handler has no such attribute",
                SECTION_CHANNEL,
            )
        if hook.raises:
            planner.add_note(
                hook.method,
                f"{server.name}.{hook.method.name.value}'s own code runs in connection_made: "
                "an exception in it is now logged by asyncio and the session goes on (smtpd "
                "printed it and closed the listening server): catch it there if that matters",
                SECTION_CHANNEL,
            )


def server_attributes(statements: List[cst.BaseStatement]) -> Set[str]:
    """The X of each ``self.X`` the accept code reads or sets."""
    m = cst.matchers
    found = set()
    for stmt in statements:
        for read in m.findall(stmt, m.Attribute(value=m.Name("self"), attr=m.Name())):
            assert isinstance(read, cst.Attribute)
            found.add(read.attr.value)
    return found


@RULE.analysis
def note_raising_init_code(planner: Planner, module: cst.Module) -> None:
    """A channel __init__'s calls run in connection_made, where an exception is no longer
    the listening server's."""
    for channel in planner.plan.attached_channels:
        if channel.init is not None and may_raise(channel.init_code):
            planner.add_note(
                channel.init,
                f"{channel.name}.__init__'s own code runs in connection_made: an exception in "
                "it is now logged by asyncio and the session goes on (smtpd printed it and "
                "closed the listening server): catch it there if that matters",
                SECTION_CHANNEL,
            )


@RULE.analysis
def explain_accept_methods(planner: Planner, module: cst.Module) -> None:
    """An accept method whose code cannot move to connection_made: why, at the method."""
    names = planner.plan.names
    m = cst.matchers
    for node in m.findall(module, m.ClassDef()):
        assert isinstance(node, cst.ClassDef)
        if not any(names.legacy_name(b.value) in SERVER_BASES for b in node.bases):
            continue
        method = accept_method(node)
        read = read_accept(method, names) if method is not None else None
        if method is not None and isinstance(read, str) and read != BUILDS_NOTHING:
            planner.block(
                method,
                f"{node.name.value}.{method.name.value}'s own code cannot run in the "
                f"connection_made of an aiosmtpd SMTP subclass: {read}",
                SECTION_CHANNEL,
            )

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

from typing import List, Optional, Tuple, cast

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._accept import on_handler
from smtpd_compat.codemod._build import (
    EMPTY,
    block_body,
    leading_lines,
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
    for channel in planner.plan.attached_channels:
        read: List[Tuple[str, cst.CSTNode, cst.CSTNode]] = [
            (m.name, m.original, m.original) for m in channel.verbs
        ]
        if channel.init is not None:  # the values its __init__ keeps, as the subclass has them
            read += [("__init__", channel.init, s) for _, s in channel.init_attributes]
            read += [("__init__", channel.init, s) for s in channel.init_code]
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
    for channel in planner.plan.attached_channels:
        raising = [m for m in channel.verbs if m.raises and m.name not in NOTED_APART]
        for method in raising:
            planner.add_note(
                method.original,
                f"{channel.name}.{method.name}: an exception in it now answers "
                f"'500 Error: (ExceptionName) text' and the session goes on (smtpd "
                f"{channel.legacy_error}): catch it in the method if clients rely on that",
                SECTION_VERBS,
            )


@RULE.analysis
def check_bytes_pushed(planner: Planner, module: cst.Module) -> None:
    """``self.push(b"...")``: smtpd's push added a str line end, so bytes raised TypeError
    there and the connection dropped; aiosmtpd's push sends bytes. Not a silent fix."""
    for channel in planner.plan.attached_channels:
        for method in channel.verbs:
            for call in libcst.matchers.findall(method.original, PUSH_CALL):
                argument = cast(cst.Call, call).args[0].value
                if isinstance(argument, cst.SimpleString) and "b" in argument.prefix.lower():
                    planner.block(
                        call,
                        f"{channel.name}.{method.name} pushes bytes: smtpd raised TypeError "
                        f"there ({channel.legacy_error}), aiosmtpd sends them: push a str if "
                        "the reply is meant, or keep the failure by hand",
                        SECTION_VERBS,
                    )


PUSH_CALL = libcst.matchers.Call(
    func=libcst.matchers.Attribute(
        value=libcst.matchers.Name("self"), attr=libcst.matchers.Name("push")
    ),
    args=[libcst.matchers.Arg()],
)


# Methods whose note says what an exception in them does (see below).
NOTED_APART = ("push", "collect_incoming_data")


@RULE.analysis
def note_data_received(planner: Planner, module: cst.Module) -> None:
    """``collect_incoming_data`` became ``data_received``: it sees the bytes otherwise cut."""
    for channel in planner.plan.attached_channels:
        for method in (m for m in channel.verbs if m.name == "collect_incoming_data"):
            planner.add_note(
                method.original,
                f"{channel.name}.collect_incoming_data is now the SMTP subclass's "
                "data_received: it gets the bytes as they arrive, line ends included and "
                "several lines (or part of one) at a time, where smtpd gave it what it read "
                "between line ends; code that counts calls or looks at whole lines sees other "
                "pieces; an exception in it is logged by asyncio and ends the session "
                f"without a reply (smtpd {channel.legacy_error})",
                SECTION_VERBS,
            )


@RULE.analysis
def note_push_override(planner: Planner, module: cst.Module) -> None:
    """A ``push`` override sees aiosmtpd's replies, where they differ from smtpd's too."""
    for channel in planner.plan.attached_channels:
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
    for channel in planner.plan.attached_channels:
        if channel.session:
            for node, note in channel.init_notes:
                planner.add_note(node, note, SECTION_VERBS)


def session_classes(channel: ChannelPlan) -> List[cst.BaseStatement]:
    """The SMTP subclass with the channel's methods, and the Controller that builds it."""
    what = "commands" if channel.verbs else "sessions"
    lines = [
        f"class {channel.name}(LongLinesSMTP):",
        f'    """The {what} of the smtpd channel {channel.name}, on aiosmtpd\'s SMTP."""',
        "",
        "",
        f"class {channel.name}Controller(BoundController):",
        f'    """A BoundController whose sessions are {channel.name}s."""',
        "",
        *(ACCEPTING_CONTROLLER if runs_accept_code(channel) else PLAIN_CONTROLLER),
    ]
    code = "\n".join(lines).replace("SESSION", channel.name)
    if channel.smtpd_defaults:
        code = code.replace("**self.SMTP_kwargs", "**settings")
        code = code.replace("    def factory(self):\n", SMTPD_SETTINGS.format(channel.accepted_by))
    session, controller = statements(code + "\n")
    assert isinstance(session, cst.ClassDef)
    if channel.synthesized:
        session = session.with_changes(
            body=session.body.with_changes(body=[statement(SYNTHESIZED_DOC)])
        )
    methods = [m.method.with_changes(leading_lines=spaced(m.method)) for m in channel.verbs]
    constants = [*block_body(session.body), *spaced_first(channel.constants)]
    body = [*constants, *session_init(channel), *accepting(channel), *methods]
    return [session.with_changes(body=session.body.with_changes(body=body)), controller]


SYNTHESIZED_DOC = '"""smtpd\'s own channel as the server built it, on aiosmtpd\'s SMTP."""\n'
# smtpd.SMTPChannel's defaults, which a channel built by hand as Channel(self, conn, addr) had
SMTPD_SETTINGS = (
    "    def factory(self):\n"
    "        # {} built each channel by hand: with smtpd's settings, not its own\n"
    "        settings = dict(self.SMTP_kwargs, data_size_limit=33554432)\n"
    "        settings.update(enable_SMTPUTF8=False, decode_data=False)\n"
)
PLAIN_CONTROLLER = [
    "    def factory(self):",
    "        return SESSION(self.handler, **self.SMTP_kwargs)",
]
# start() connects to the server once to check that it serves (aiosmtpd 1.4's
# _trigger_server, a hook of the same version as BoundController's _create_server): from an
# address known before it connects, so that the session of that connection, no client's,
# does not run the server's accept code.
ACCEPTING_CONTROLLER = [
    "    probe = None  # the address start()'s own connection comes from, until it is seen",
    "",
    "    def factory(self):",
    "        session = SESSION(self.handler, **self.SMTP_kwargs)",
    "        session.controller = self",
    "        return session",
    "",
    "    def _trigger_server(self):",
    "        # start() connects once to check that it serves: from an address known first,",
    "        # so that its session (no client's) skips the server's accept code.",
    '        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.hostname, self.hostname)',
    "        with socket.socket(self.socket.family) as probe:",
    "            probe.settimeout(1.0)",
    "            probe.bind((host, 0))",
    "            self.probe = probe.getsockname()[:2]",
    "            probe.connect((host, self.port))",
    "            probe.recv(1024)",
    "",
    "    def self_check(self, transport):",
    '        """True for the session of start()\'s own connection (once)."""',
    '        peer = transport.get_extra_info("peername")',
    "        if self.probe is None or peer is None or tuple(peer[:2]) != self.probe:",
    "            return False",
    "        self.probe = None",
    "        return True",
]


def runs_accept_code(channel: ChannelPlan) -> bool:
    """Code ran at each connection: the server's accept code, or the channel __init__'s."""
    return bool(channel.accept is not None and channel.accept.statements or channel.init_code)


def accepting(channel: ChannelPlan) -> List[cst.BaseStatement]:
    """``connection_made``: the code smtpd ran for each connection a client opened."""
    if not runs_accept_code(channel):
        return []
    method = statement(
        "def connection_made(self, transport):\n"
        "    super().connection_made(transport)\n"
        "    if self.controller.self_check(transport):\n"
        "        return  # start()'s own connection: smtpd had none\n"
    )
    assert isinstance(method, cst.FunctionDef)
    body = block_body(method.body)
    hook = channel.accept
    if hook is not None and hook.statements:
        m = cst.matchers
        reads = [s for s in hook.statements if m.findall(s, m.Name(hook.address))]
        what = f"{channel.accepted_by}.{hook.method.name.value}'s own code, for each connection"
        code = [on_handler(s) for s in hook.statements]
        body += commented(with_address(code, hook.address if reads else None), what)
    if channel.init_code:
        what = f"{channel.name}.__init__'s own code, for each connection"
        body += commented(with_address(channel.init_code, channel.init_address), what)
    return [method.with_changes(body=method.body.with_changes(body=body), leading_lines=[EMPTY])]


def with_address(code: List[cst.BaseStatement], name: Optional[str]) -> List[cst.BaseStatement]:
    """The code, after ``name = <the peer's address>`` when it reads the address by name."""
    if name is None:
        return code
    return [statement(f'{name} = transport.get_extra_info("peername")\n'), *code]


def commented(code: List[cst.BaseStatement], what: str) -> List[cst.BaseStatement]:
    """The code with ``# what`` above its first line (above that line's own comments)."""
    first = code[0]
    comment = cst.EmptyLine(comment=cst.Comment(f"# {what}"))
    lines = [comment, *(line for line in leading_lines(first) if line.comment)]
    return [with_leading_lines(first, lines), *code[1:]]


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


def spaced_first(lines: List[cst.BaseStatement]) -> List[cst.BaseStatement]:
    """The class's constants, a blank line above the first (below the docstring)."""
    if not lines:
        return []
    comments = [line for line in leading_lines(lines[0]) if line.comment]
    first = with_leading_lines(lines[0], [EMPTY, *comments])
    return [first, *lines[1:]]


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
        if original is channel.node or (channel.synthesized and original is server.node):
            if any(m.method.decorators for m in channel.verbs):
                plan.imports.add(("aiosmtpd.smtp", "syntax"))
            if runs_accept_code(channel):
                plan.imports.add(("socket", None))
            new = session_classes(channel)
            first = with_leading_lines(new[0], updated.leading_lines)
        if original is server.node and channel.synthesized:
            rest = with_leading_lines(without_channel_class(updated), [EMPTY, EMPTY])
            return cst.FlattenSentinel([first, *new[1:], rest])
        if original is channel.node:
            return cst.FlattenSentinel([first, *new[1:]])
        if original is server.node:
            return without_channel_class(updated)
    return updated

"""Read an ``smtpd.SMTPChannel`` subclass and decide how it converts, or why not.

A channel converts only as a whole. Policy overrides of ``smtp_MAIL`` or
``smtp_RCPT`` of the shape "check something, push an error and return, else
call the base", whose checks read only what an aiosmtpd hook has too, become
handler hooks. Otherwise every ``smtp_VERB`` method goes into an aiosmtpd
``SMTP`` subclass (``_session``). An ``__init__`` that only forwards its
arguments and keeps attributes nothing reads goes; a ``handle_error`` that
reports and closes runs where converted code catches process_message's error.
Anything else yields the reasons it was left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple, Union

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._accept import (
    AcceptHook,
    accept_method,
    accepted_names,
    init_code,
    read_accept,
    reads_kept_channel,
)
from smtpd_compat.codemod._auth import AuthPlan, analyse_auth, is_base_call, small
from smtpd_compat.codemod._build import block_body, code_of, is_docstring, statements_of
from smtpd_compat.codemod._channel_args import InitValue, bind_arguments, extra_params
from smtpd_compat.codemod._forwarding import is_literal
from smtpd_compat.codemod._names import LegacyNames, dotted_name
from smtpd_compat.codemod._session import (
    CHANNEL_NAMES,
    SELF_CHECK,
    SMTP_NAMES,
    SMTPD_ALIASES,
    SPELLED_ALIASES,
    Helpers,
    SessionMethod,
    colliding,
    is_helper,
    legacy_use,
    own_attributes,
    read_helpers,
    renamed,
    renames_of,
    translate,
    translate_data,
    translate_push,
    with_renames,
)

POLICY_VERBS = {"smtp_MAIL": ("MAIL", "FROM:"), "smtp_RCPT": ("RCPT", "TO:")}
# What a check may read of the channel, and what a hook reads instead.
CHANNEL_READS = {
    "smtp_server": "self",
    "peer": "session.peer",
    "mailfrom": "envelope.mail_from",
    "rcpttos": "envelope.rcpt_tos",
}
HOOK_PARAMS = frozenset("server session envelope address mail_options rcpt_options".split())
# Calls a check may make: they neither block nor change state.
PURE_FUNCTIONS = frozenset("len str int bool any all isinstance".split())
PURE_METHODS = frozenset(
    "lower upper casefold strip lstrip rstrip split rsplit partition rpartition"
    " startswith endswith get keys values items count index".split()
)


# aiosmtpd reads each line in its own loop: what a line-level override did goes elsewhere.
NO_LINE_HOOK = (
    " (aiosmtpd reads lines in its own loop, with no hook per line: move what it does for"
    " a command into that verb's smtp_VERB of an SMTP subclass, for the end of DATA into"
    " handle_DATA)"
)
UNCONVERTED = {
    "found_terminator": "found_terminator drives the line protocol itself" + NO_LINE_HOOK,
    "collect_incoming_data": "collect_incoming_data reads the line protocol's bytes",
    "__init__": "__init__ changes how the channel is built",
}
OTHER = "{} has no hook equivalent"


@dataclass
class Guard:
    """``if condition: self.push(reply); return`` in a policy override."""

    condition: cst.BaseExpression
    reply: cst.BaseExpression


@dataclass
class PolicyHook:
    """One ``smtp_MAIL``/``smtp_RCPT`` override as the guards it runs before the base."""

    verb: str  # MAIL or RCPT
    guards: List[Guard]
    address: Optional[str] = None  # the local name the override gave the parsed address


@dataclass
class ChannelPlan:
    node: cst.ClassDef
    hooks: List[PolicyHook] = field(default_factory=list)
    # the same overrides as methods of an SMTP subclass, should the channel need one (accept)
    hooks_as_verbs: Optional[List[SessionMethod]] = None
    reasons: List[str] = field(default_factory=list)
    auth: Optional[AuthPlan] = None
    verbs: List[SessionMethod] = field(default_factory=list)  # the SMTP subclass's methods
    error: Optional[List[cst.BaseStatement]] = None  # handle_error's report, translated
    error_closes: bool = True  # handle_error closed the channel (else the client waited)
    init: Optional[cst.FunctionDef] = None  # an __init__ that only forwards (it goes)
    # What the SMTP subclass's __init__ keeps: (name, the statement that sets it there).
    init_attributes: List[Tuple[str, cst.BaseStatement]] = field(default_factory=list)
    init_notes: List[Tuple[cst.CSTNode, str]] = field(default_factory=list)  # what changes
    init_extras: List[cst.Param] = field(default_factory=list)  # what handle_accept passes
    init_settings: int = 0  # smtpd's settings its __init__ passes the base (with extras)
    # ``__init__(self, extras, *args, **kw)`` passing ``*args, **kw`` on: the extras come
    # before smtpd's arguments, and the server names the settings it passes (_channel_args)
    init_leading: bool = False
    leading_settings: Set[str] = field(default_factory=set)  # the settings the server passes
    names: LegacyNames = field(default_factory=LegacyNames)
    bound_by: Optional[str] = None  # the server whose handle_accept's values it keeps
    accept: Optional[AcceptHook] = None  # a server's own code at each connection (_accept)
    init_code: List[cst.BaseStatement] = field(default_factory=list)  # __init__'s calls
    constants: List[cst.BaseStatement] = field(default_factory=list)  # NAME = value lines
    init_address: Optional[str] = None  # the name __init__'s code gave the peer's address
    accepted_by: Optional[str] = None  # that server
    synthesized: bool = False  # no class of the program's: smtpd's own channel, for accept
    smtpd_defaults: bool = False  # built by hand: smtpd's settings, not the server's (factory)
    natives: List[str] = field(default_factory=list)  # overrides aiosmtpd's SMTP does itself

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def legacy_error(self) -> str:
        """What smtpd did on an exception in this channel's code."""
        if self.error is None:
            return "printed the error and dropped the connection"
        if self.error_closes:
            return "ran its handle_error and dropped the connection"
        return "ran its handle_error, which left the client waiting for a reply"

    @property
    def session(self) -> bool:
        """True when the channel becomes an SMTP subclass: methods, or values it keeps."""
        return bool(
            self.verbs or self.init_attributes or self.accept or self.init_code or self.natives
        )

    @property
    def convertible(self) -> bool:
        converts = bool(self.hooks or self.session) or self.error is not None
        return not self.reasons and (converts or self.auth is not None)


def analyse_channel(node: cst.ClassDef, names: LegacyNames) -> ChannelPlan:
    """How a channel converts: an authenticator, an SMTP subclass or hooks; else why not.

    An AUTH channel whose exchange is not the one rule auth converts may still be
    commands like any other (its own ``smtp_AUTH`` and ``smtp_EHLO``): an SMTP subclass
    runs them as they were. Where neither works, the AUTH analysis says why.
    """
    methods = [s.name.value for s in block_body(node.body) if isinstance(s, cst.FunctionDef)]
    if "smtp_AUTH" not in methods:
        return analyse_commands(node, names)
    analysis = analyse_auth(node, names)
    if analysis.plan is not None:
        return ChannelPlan(node, names=names, auth=analysis.plan)
    commands = analyse_commands(node, names)
    if commands.session and not commands.reasons:
        return commands
    return ChannelPlan(node, names=names, reasons=analysis.reasons)


def analyse_commands(node: cst.ClassDef, names: LegacyNames) -> ChannelPlan:
    """The channel as commands of an SMTP subclass, or hooks for its policy overrides."""
    plan = ChannelPlan(node, names=names)
    methods = [s.name.value for s in block_body(node.body) if isinstance(s, cst.FunctionDef)]
    attributes = own_attributes(node)
    late: List[str] = [why for why in [alias_use(node)] if why is not None]
    taken = [a for a in colliding(attributes) if name_used(node, renamed(a))]
    if taken:  # the others take those names in the SMTP subclass (_session.renamed)
        late.append(f"it keeps attributes aiosmtpd's SMTP has too ({', '.join(taken)})")
    functions = [s for s in block_body(node.body) if isinstance(s, cst.FunctionDef)]
    plan.constants = [s for s in block_body(node.body) if class_constant(s, names)]
    constants = {class_constant(s, names) or "" for s in plan.constants}
    own = attributes | constants | {m for m in methods if is_verb_method(m) or is_helper(m)}
    aliases = node.name.value == "SMTPChannel"  # self.__mailfrom: smtpd's alias
    helpers, done = read_helpers(
        [f for f in functions if is_helper(f.name.value)], names, own, aliases
    )
    policy: List[Tuple[cst.FunctionDef, PolicyHook]] = []
    for stmt in block_body(node.body):
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in done:
            why = add_helper(plan, stmt.name.value, done[stmt.name.value])
            if why:
                plan.reasons.append(why)
        elif isinstance(stmt, cst.FunctionDef):
            why = add_method(plan, stmt, names, (own, helpers), policy)
            if why:
                plan.reasons.append(why)
        elif not is_docstring(stmt) and not is_pass(stmt) and stmt not in plan.constants:
            late.append("its class body holds more than methods and constants")
    moved = [translate(function, names, own, helpers) for function, _ in policy]
    as_verbs = [m for m in moved if not isinstance(m, str)]
    if plan.session and policy:  # one SMTP subclass holds every override
        if len(as_verbs) != len(moved):
            late.append("it mixes policy overrides and new verbs (convert by hand)")
        plan.verbs += as_verbs
    else:
        plan.hooks = [hook for _, hook in policy]
        plan.hooks_as_verbs = as_verbs if len(as_verbs) == len(moved) else None
    bases = [b for b in node.bases if dotted_name(b.value) != "object"]  # (Py2 style)
    if node.decorators or node.keywords or len(bases) != 1:
        late.append("it has decorators, keywords or other bases")
    plan.reasons += late
    return plan


def class_constant(stmt: cst.BaseStatement, names: LegacyNames) -> Optional[str]:
    """NAME of ``NAME = value`` in a class body, a name neither server has (else None).

    The SMTP subclass keeps it as it was; its methods read it as ``self.NAME``.
    """
    assign = small(stmt)
    if isinstance(assign, cst.AnnAssign) and assign.value is not None:
        target: cst.BaseExpression = assign.target
    elif isinstance(assign, cst.Assign) and len(assign.targets) == 1:
        target = assign.targets[0].target
    else:
        return None
    if not isinstance(target, cst.Name) or target.value in CHANNEL_NAMES | SMTP_NAMES:
        return None
    m = cst.matchers
    if m.findall(stmt, m.Lambda() | m.Call() | m.Name("self")) or legacy_use(stmt, names):
        return None
    return target.value


def alias_use(node: cst.ClassDef) -> Optional[str]:
    """Why a channel using smtpd's private aliases is left (else None): ``self.__greeting``
    in a subclass itself named SMTPChannel, ``self._SMTPChannel__greeting`` in any.

    Its commands and helpers read them as smtpd's public names (``Helpers.aliases``);
    its other methods are not translated that way.
    """
    aliases = SPELLED_ALIASES
    if node.name.value == "SMTPChannel":
        aliases = {**SMTPD_ALIASES, **SPELLED_ALIASES}
    m = cst.matchers
    for method in block_body(node.body):
        if not isinstance(method, cst.FunctionDef):
            continue
        name = method.name.value
        if is_verb_method(name) or is_helper(name) or name == "push":
            continue
        for found in m.findall(method, m.Attribute(value=m.Name("self"), attr=m.Name())):
            assert isinstance(found, cst.Attribute)
            alias = aliases.get(found.attr.value)
            if alias is not None:
                return (
                    f"it uses self.{found.attr.value}, smtpd's deprecated alias of "
                    f"self.{alias}: write self.{alias} and run the codemod again"
                )
    return None


def name_used(node: cst.CSTNode, name: str) -> bool:
    m = cst.matchers
    return bool(m.findall(node, m.Name(name)))


def add_helper(plan: ChannelPlan, name: str, helper: Union[SessionMethod, str]) -> Optional[str]:
    """A plain method the commands call joins them (the reason if it cannot)."""
    if isinstance(helper, str):
        return f"{name}: {helper}"
    plan.verbs.append(helper)
    return None


def add_method(
    plan: ChannelPlan,
    method: cst.FunctionDef,
    names: LegacyNames,
    context: Tuple[Set[str], Helpers],
    policy: List[Tuple[cst.FunctionDef, PolicyHook]],
) -> Optional[str]:
    """File one method of the channel under its conversion; the reason if it has none."""
    name = method.name.value
    own, helpers = context
    if name in POLICY_VERBS:
        hook = policy_hook(method, names)
        if not isinstance(hook, str):
            policy.append((method, hook))
            return None
        session = translate(method, names, own, helpers)
        if isinstance(session, str):
            return f"{name}: {hook}; as an SMTP subclass method: {session}"
        plan.verbs.append(session)
    elif is_verb_method(name):
        session = translate(method, names, own, helpers)
        if isinstance(session, str):
            return f"{name}: {session}"
        plan.verbs.append(session)
    elif name == "collect_incoming_data":
        session = translate_data(method, names, own, helpers)
        if isinstance(session, str):
            return f"{UNCONVERTED[name]}: {session}"
        plan.verbs.append(session)
    elif name == "push":
        session = translate_push(method, names, own, helpers)
        if isinstance(session, str):
            return f"push rewrites every reply: {session}"
        plan.verbs.append(session)
    elif name == "__init__":
        kept = analyse_init(method, plan, names)
        if isinstance(kept, str):
            return f"__init__ changes how the channel is built: {kept}"
        plan.init, plan.init_attributes = method, kept
    elif name == "_getaddr" and is_natives_getaddr(method, names):
        plan.natives.append(name)  # aiosmtpd's own _getaddr does what it does
        plan.init_notes.append((method, GETADDR_NOTE.format(plan.name)))
    elif name == "handle_error":
        error = error_report(method, names)
        if isinstance(error, str):
            return f"handle_error: {error}"
        plan.error, plan.error_closes = error
    else:
        return UNCONVERTED.get(name, OTHER).format(name)
    return None


GETADDR_NOTE = (
    "{}._getaddr made MAIL and RCPT answer 501 to an address email's parser cannot read "
    "(smtpd itself dropped the connection); aiosmtpd's own _getaddr returns no address "
    "there as well, and it answers 553 5.1.3: check clients that rely on the code"
)


def is_natives_getaddr(method: cst.FunctionDef, names: LegacyNames) -> bool:
    """``_getaddr(self, arg)`` returning the base's, or ``None, <literal>`` on HeaderParseError.

    smtpd's _getaddr let email's HeaderParseError escape on an unparsable address (the
    connection dropped); with the override MAIL and RCPT answer 501, as they do for any
    address that is None. aiosmtpd's _getaddr returns ``None, None`` there itself."""
    params = [p.name.value for p in method.params.params]
    body = [s for s in block_body(method.body) if not is_docstring(s)]
    if len(params) != 2 or method.decorators or len(body) != 1:
        return False
    attempt = body[0]
    if not isinstance(attempt, cst.Try) or attempt.orelse or attempt.finalbody:
        return False
    if len(attempt.handlers) != 1 or len(block_body(attempt.body)) != 1:
        return False
    handler = attempt.handlers[0]
    caught = dotted_name(handler.type) if handler.type is not None else None
    if caught not in ("HeaderParseError", "email.errors.HeaderParseError"):
        return False
    reply = small(block_body(handler.body)[0]) if len(block_body(handler.body)) == 1 else None
    value = reply.value if isinstance(reply, cst.Return) else None
    if not (isinstance(value, cst.Tuple) and len(value.elements) == 2):
        return False
    first, second = (e.value for e in value.elements)
    if dotted_name(first) != "None" or not is_literal(second):
        return False
    returned = small(block_body(attempt.body)[0])
    call = returned.value if isinstance(returned, cst.Return) else None
    return isinstance(call, cst.Call) and is_base_getaddr(call, params, names)


def is_base_getaddr(call: cst.Call, params: List[str], names: LegacyNames) -> bool:
    """``super()._getaddr(arg)`` or ``smtpd.SMTPChannel._getaddr(self, arg)``."""
    if not isinstance(call.func, cst.Attribute) or call.func.attr.value != "_getaddr":
        return False
    args = [dotted_name(a.value) if not a.star and not a.keyword else None for a in call.args]
    owner = call.func.value
    if isinstance(owner, cst.Call) and dotted_name(owner.func) == "super":
        return args == params[1:]
    return names.legacy_name(owner) == "smtpd.SMTPChannel" and args == params


def is_verb_method(name: str) -> bool:
    verb = name[len("smtp_") :]
    return name.startswith("smtp_") and verb.isalpha() and verb.isupper()


# Channel names neither smtpd, asynchat nor asyncore ever call (the dispatcher's log()): a
# channel's own attribute of that name (``self.log = logging.getLogger(...)``) is its own.
NEVER_CALLED = frozenset({"log"})
# Channel settings an __init__ may change after the base's, and where aiosmtpd keeps them.
SESSION_SETTINGS = {"fqdn": "hostname"}
EFFECT_NOTE = "{}.__init__ computes self.{} on each connection, and once more for " + SELF_CHECK
GREETING_NOTE = (
    "{}.__init__ sets fqdn after smtpd's greeting was sent: the converted greeting names "
    "{} too (smtpd's named socket.getfqdn(); HELO and EHLO replies are the same)"
)


def analyse_init(
    init: cst.FunctionDef, plan: ChannelPlan, names: LegacyNames
) -> Union[List[Tuple[str, cst.BaseStatement]], str]:
    """The attributes an ``__init__`` keeps (name in the SMTP subclass, its statement there).

    An ``__init__`` converts when it passes its own arguments to the base once and
    otherwise keeps values the SMTP subclass can compute as attributes; else the reason.
    A value with no effect nobody reads goes.
    """
    params = init.params
    if params.kwonly_params or params.posonly_params or init.decorators:
        return "its signature is not plain"
    passed = [p.name.value for p in params.params[1:]]
    star = [p.name.value for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    base = [s for s in statements_of(init) if is_init_call(s, names)]
    if len(base) != 1:
        return "it does not pass its own arguments to the base __init__ exactly once"
    plan.init_extras = extra_params(init, forwarded(base[0]))
    plan.init_settings = len(forwarded(base[0])[0]) - 3 if plan.init_extras else 0
    if not plan.init_extras and passed and forwarded(base[0]) == ([], star) and len(star) == 2:
        plan.init_extras, plan.init_leading = list(params.params[1:]), True
    if forwarded(base[0]) != (passed, star) and not plan.init_extras:
        return "it does not pass its own arguments to the base __init__ exactly once"
    kept: List[Tuple[str, cst.BaseStatement]] = []
    statements = statements_of(init)
    after = statements[statements.index(base[0]) + 1 :]
    calls = [s for s in statements if s is not base[0] and kept_attribute(s)[0] is None]
    read_by_code = {a for s in calls for a in self_attributes(s)}  # they stay for it
    for stmt in statements:
        if stmt is base[0]:
            continue
        attr, value = kept_attribute(stmt)
        if attr is None or value is None:
            if plan.init_leading:
                return "it takes arguments before smtpd's and runs code besides keeping values"
            why = add_init_code(plan, stmt, init, names)
            if why is not None:
                return why
            continue
        server_and_passed = ["", *passed] if plan.init_leading else passed  # the server: in *args
        reads = InitValue(server_and_passed, star, names, stmt in after)
        reads.hidden -= {p.name.value for p in plan.init_extras}  # the server passes them
        code = reads.code(value)
        if attr in CHANNEL_NAMES - NEVER_CALLED and attr not in SESSION_SETTINGS:
            return f"it sets the channel's self.{attr}"
        unread = attr not in SESSION_SETTINGS and not read_elsewhere(plan.node, init, attr)
        unread = unread and attr not in read_by_code
        if attr in SESSION_SETTINGS and stmt not in after:
            unread = True  # the base __init__ set it again
        if unread and reads.pure:
            continue  # nothing reads it and computing it does nothing: it goes
        if code is None:
            what = f"other methods read self.{attr}" if not unread else f"it keeps self.{attr}"
            return f"{what}, set from {code_of(value)}"
        if not reads.pure:
            plan.init_notes.append((stmt, EFFECT_NOTE.format(plan.name, attr)))
        if attr in SESSION_SETTINGS and not unread:
            plan.init_notes.append((stmt, GREETING_NOTE.format(plan.name, code_of(value))))
            attr = SESSION_SETTINGS[attr]
        attr = renames_of(own_attributes(plan.node)).get(attr, attr)
        kept.append((attr, setting(stmt, attr, code)))
    return kept


def add_init_code(
    plan: ChannelPlan, stmt: cst.BaseStatement, init: cst.FunctionDef, names: LegacyNames
) -> Optional[str]:
    """A call of the ``__init__`` (a log line, ``server.count += 1``) joins connection_made."""
    legacy = legacy_use(stmt, names)
    if legacy is not None:
        return legacy
    params = [p.name.value for p in init.params.params[1:]]
    starred = (init.params.star_arg, init.params.star_kwarg)
    star = [p.name.value for p in starred if isinstance(p, cst.Param)]
    hidden = {*params[1:2], *params[3:], *star} - {p.name.value for p in plan.init_extras}
    found = init_code(
        with_renames(stmt, own_attributes(plan.node)), params, hidden, set(CHANNEL_NAMES)
    )
    if isinstance(found, str):
        return found
    code, reads_address = found
    plan.init_code.append(code)
    if reads_address:
        plan.init_address = params[2]
    return None


def setting(stmt: cst.BaseStatement, attr: str, code: str) -> cst.BaseStatement:
    """``self.attr = code`` in place of the statement, keeping its comments."""
    assign = small(stmt)
    assert isinstance(assign, cst.Assign) and isinstance(stmt, cst.SimpleStatementLine)
    target = cst.AssignTarget(cst.Attribute(cst.Name("self"), cst.Name(attr)))
    new = assign.with_changes(targets=[target], value=cst.parse_expression(code))
    return stmt.with_changes(body=[new])


def is_init_call(stmt: cst.BaseStatement, names: LegacyNames) -> bool:
    expr = small(stmt)
    if not (isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)):
        return False
    func = expr.value.func
    if not isinstance(func, cst.Attribute) or func.attr.value != "__init__":
        return False
    owner = func.value
    if isinstance(owner, cst.Call):
        return dotted_name(owner.func) == "super"
    return names.legacy_name(owner) == "smtpd.SMTPChannel"


def forwarded(stmt: cst.BaseStatement) -> Tuple[List[str], List[str]]:
    """The names a base ``__init__`` call passes on: plain ones, then the starred ones."""
    expr = small(stmt)
    assert isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)
    call = expr.value
    args = list(call.args)
    if not (isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Call)):
        args = args[1:]  # the explicit self of smtpd.SMTPChannel.__init__(self, ...)
    plain = [dotted_name(a.value) or "?" for a in args if not a.star and not a.keyword]
    starred = [dotted_name(a.value) or "?" for a in args if a.star]
    keywords = {a.keyword.value: dotted_name(a.value) or "?" for a in args if a.keyword}
    if keywords and starred:
        return [], ["?"]
    for name in CHANNEL_PARAMETERS[len(plain) :]:  # map=map after (server, conn, addr, ...)
        if name not in keywords:
            break
        plain.append(keywords.pop(name))
    if keywords:  # a keyword out of smtpd's order: a setting in between keeps its default
        return [], ["?"]
    return plain, starred


# smtpd.SMTPChannel.__init__'s parameters, in their order.
CHANNEL_PARAMETERS = (
    "server",
    "conn",
    "addr",
    "data_size_limit",
    "map",
    "enable_SMTPUTF8",
    "decode_data",
)


def kept_attribute(stmt: cst.BaseStatement) -> Tuple[Optional[str], Optional[cst.BaseExpression]]:
    """X and V of ``self.X = V``."""
    assign = small(stmt)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None, None
    target = assign.targets[0].target
    if not (isinstance(target, cst.Attribute) and dotted_name(target.value) == "self"):
        return None, None
    return target.attr.value, assign.value


def self_attributes(stmt: cst.BaseStatement) -> Set[str]:
    """The X of each ``self.X`` in a statement."""
    m = cst.matchers
    found = m.findall(stmt, m.Attribute(value=m.Name("self"), attr=m.Name()))
    return {f.attr.value for f in found if isinstance(f, cst.Attribute)}


def read_elsewhere(channel: cst.ClassDef, init: cst.FunctionDef, attr: str) -> bool:
    m = cst.matchers
    pattern = m.Attribute(value=m.Name("self"), attr=m.Name(attr))
    return len(m.findall(channel, pattern)) != len(m.findall(init, pattern))


def error_report(
    method: cst.FunctionDef, names: LegacyNames
) -> Union[Tuple[List[cst.BaseStatement], bool], str]:
    """The statements of ``handle_error`` that report, once its closing call goes (if any).

    Also whether it closed: one that did not left the client waiting for a reply.
    """
    params = method.params
    if len(params.params) != 1 or params.star_arg is not cst.MaybeSentinel.DEFAULT:
        return "its signature is not (self)"
    if params.star_kwarg or params.kwonly_params or method.decorators:
        return "its signature is not (self)"
    body = statements_of(method)
    closing = closing_call(body[-1]) if body else None
    closes = closing is not None and dotted_name(closing) in CLOSERS
    body = body[:-1] if closes else body
    checker = ErrorReads()
    for stmt in body:
        stmt.visit(checker)
    if checker.problem:
        return checker.problem
    legacy = next(filter(None, (legacy_use(s, names) for s in body)), None)
    if legacy is not None:
        return legacy
    report = [s.visit(ToPeer()) for s in body]
    return [s for s in report if isinstance(s, cst.BaseStatement)], closes


# What closes the channel at the end of a handle_error (nothing was left to send).
CLOSERS = ("self.close", "self.handle_close", "self.close_when_done")


def closing_call(stmt: cst.BaseStatement) -> Optional[cst.BaseExpression]:
    expr = small(stmt)
    if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call) and not expr.value.args:
        return expr.value.func
    return None


ERROR_READS = {"peer": "session.peer", "addr": "session.peer"}


class ErrorReads(cst.CSTVisitor):
    """Why a report cannot run in handle_DATA's ``except``: it uses the channel."""

    def __init__(self) -> None:
        self.problem: Optional[str] = None

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if dotted_name(node.value) == "self":
            if node.attr.value not in ERROR_READS:
                self.problem = f"it uses the channel's self.{node.attr.value}"
            return False
        return True

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in ("self", "session", "server", "envelope", "data", "call", "loop"):
            self.problem = f"it uses a name {node.value!r} that handle_DATA has too"

    def visit_Raise(self, node: cst.Raise) -> None:
        self.problem = (
            "it raises, so the error ended smtpd's asyncore.loop(): converted code would "
            "answer 451 and serve on"
        )

    def visit_Return(self, node: cst.Return) -> None:
        self.problem = "it returns early"


class ToPeer(cst.CSTTransformer):
    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if dotted_name(original_node.value) == "self" and original_node.attr.value in ERROR_READS:
            return cst.parse_expression(ERROR_READS[original_node.attr.value])
        return updated_node


def is_pass(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Pass)


def authenticator_name(channel: ChannelPlan) -> str:
    """``AuthChannel`` -> ``auth_channel_authenticator``: the function rule auth writes."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", channel.name).lower()
    return f"{snake}_authenticator"


def policy_hook(function: cst.FunctionDef, names: LegacyNames) -> Union[PolicyHook, str]:
    """The hook for an override, or why there is none."""
    method = function.name.value
    verb, keyword = POLICY_VERBS[method]
    params = function.params
    plain = [p.name.value for p in params.params]
    if plain != ["self", "arg"] or params.star_arg is not cst.MaybeSentinel.DEFAULT:
        return "the signature is not (self, arg)"
    if params.kwonly_params or params.star_kwarg or function.decorators or function.asynchronous:
        return "the signature is not (self, arg)"
    body = statements_of(function)
    hook = PolicyHook(verb, [])
    if body and address_binding(body[0], keyword):
        hook.address = address_binding(body[0], keyword)
        body = body[1:]
    if not body:
        return "it does not call the base method"
    *guards, last = body
    for stmt in guards:
        guard = as_guard(stmt)
        if guard is None:
            return "it does more than refuse with push() and return before the base call"
        hook.guards.append(guard)
    if not is_base_call(last, method, names):
        tail = as_if_else(last, method, names)
        if tail is None:
            return "it does not end with the base call (or an if/else around it)"
        hook.guards.append(tail)
    for guard in hook.guards:
        why = unreadable(guard, hook.address)
        if why:
            return why
    return hook


def address_binding(stmt: cst.BaseStatement, keyword: str) -> Optional[str]:
    """``NAME[, _] = self._getaddr(self._strip_command_keyword("FROM:", arg))[...]``.

    Both servers parse the address with these same steps, so NAME is the hook's
    ``address`` for every command that reaches the hook.
    """
    assign = small(stmt)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    target: cst.BaseExpression = assign.targets[0].target
    value = assign.value
    if isinstance(target, cst.Tuple) and len(target.elements) == 2:
        first, second = (e.value for e in target.elements)
        if not (isinstance(second, cst.Name) and second.value == "_"):
            return None
        target = first
    elif isinstance(value, cst.Subscript) and is_index_zero(value):
        value = value.value
    else:
        return None
    if not isinstance(target, cst.Name) or not is_getaddr(value, keyword):
        return None
    return target.value


def is_index_zero(node: cst.Subscript) -> bool:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return False
    index = node.slice[0].slice.value
    return isinstance(index, cst.Integer) and index.value == "0"


def is_getaddr(node: cst.BaseExpression, keyword: str) -> bool:
    if not (isinstance(node, cst.Call) and dotted_name(node.func) == "self._getaddr"):
        return False
    if len(node.args) != 1 or not isinstance(node.args[0].value, cst.Call):
        return False
    strip = node.args[0].value
    if dotted_name(strip.func) != "self._strip_command_keyword" or len(strip.args) != 2:
        return False
    word, arg = strip.args[0].value, strip.args[1].value
    return (
        isinstance(word, cst.SimpleString)
        and word.evaluated_value == keyword
        and isinstance(arg, cst.Name)
        and arg.value == "arg"
    )


def push_reply(stmt: cst.BaseStatement) -> Optional[cst.BaseExpression]:
    """The argument of a ``self.push(reply)`` statement."""
    expr = small(stmt)
    if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call):
        call = expr.value
        if dotted_name(call.func) == "self.push" and len(call.args) == 1 and not call.args[0].star:
            return call.args[0].value
    return None


def block_of(node: Union[cst.If, cst.Else]) -> Optional[List[cst.BaseStatement]]:
    body = node.body
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    return None


def as_guard(stmt: cst.BaseStatement) -> Optional[Guard]:
    """``if C: self.push(R); return`` without else."""
    if not isinstance(stmt, cst.If) or stmt.orelse is not None:
        return None
    body = block_of(stmt)
    if body is None or len(body) != 2:
        return None
    reply = push_reply(body[0])
    ret = small(body[1])
    if reply is None or not (isinstance(ret, cst.Return) and ret.value is None):
        return None
    return Guard(stmt.test, reply)


def as_if_else(stmt: cst.BaseStatement, method: str, names: LegacyNames) -> Optional[Guard]:
    """``if C: push(R) else: base`` or ``if C: base else: push(R)``."""
    if not isinstance(stmt, cst.If) or not isinstance(stmt.orelse, cst.Else):
        return None
    then, other = block_of(stmt), block_of(stmt.orelse)
    if then is None or other is None or len(then) != 1 or len(other) != 1:
        return None
    reply = push_reply(then[0])
    if reply is not None and is_base_call(other[0], method, names):
        return Guard(stmt.test, reply)
    reply = push_reply(other[0])
    if reply is not None and is_base_call(then[0], method, names):
        return Guard(negated(stmt.test), reply)
    return None


def negated(test: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return test.expression.with_changes(lpar=[], rpar=[])
    return cst.UnaryOperation(cst.Not(), parenthesized(test))


def parenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class Reads(cst.CSTVisitor):
    """Why a guard cannot run in a hook: it reads the raw argument or channel state."""

    def __init__(self, address: Optional[str]) -> None:
        self.address = address
        self.problem: Optional[str] = None

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            if node.attr.value not in CHANNEL_READS:
                self.problem = f"it reads the channel's self.{node.attr.value}"
            return False
        return True

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "arg":
            self.problem = (
                "it reads the raw command argument; a hook gets the parsed "
                "address and the upper-cased options"
            )
        elif node.value == "self":
            self.problem = "it uses the channel object itself"
        elif node.value in HOOK_PARAMS and node.value != self.address:
            self.problem = f"it reads a name {node.value!r} that the hook's parameters would hide"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        pure = (isinstance(func, cst.Name) and func.value in PURE_FUNCTIONS) or (
            isinstance(func, cst.Attribute) and func.attr.value in PURE_METHODS
        )
        if not pure:
            what = dotted_name(func) or "a function"
            self.problem = f"it calls {what}, which may block or share state"

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.problem = "it defines a function"

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.problem = "it assigns a name"


def unreadable(guard: Guard, address: Optional[str]) -> Optional[str]:
    reads = Reads(address)
    guard.condition.visit(reads)
    guard.reply.visit(reads)
    return reads.problem


class ToHook(cst.CSTTransformer):
    """Rewrites channel reads into what the hook reads."""

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if isinstance(updated_node.value, cst.Name) and updated_node.value.value == "self":
            replacement = CHANNEL_READS.get(updated_node.attr.value)
            if replacement is not None:
                return cst.parse_expression(replacement)
        return updated_node


def in_hook(node: cst.BaseExpression) -> cst.BaseExpression:
    result = node.visit(ToHook())
    assert isinstance(result, cst.BaseExpression)
    return result


def channel_class_of(server: cst.ClassDef) -> Tuple[Optional[str], Optional[cst.BaseStatement]]:
    """The channel a server class builds, and the statement that says so.

    ``channel_class = Name``, or a ``handle_accept`` (``handle_accepted``) whose only
    work is to build ``Name(self, conn, addr)`` (smtpd's defaults for the rest).
    """
    for stmt in block_body(server.body):
        assign = small(stmt)
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
            target = assign.targets[0].target
            if isinstance(target, cst.Name) and target.value == "channel_class":
                return dotted_name(assign.value), stmt
        built = accepted_channel(stmt)
        if built is not None:
            return built, stmt
    return None, None


def accepted_channel(stmt: cst.BaseStatement) -> Optional[str]:
    """The channel class a ``handle_accept``/``handle_accepted`` override only builds
    (read as the accept rule reads it: :func:`accepted_names`)."""
    if not isinstance(stmt, cst.FunctionDef) or stmt.decorators or stmt.asynchronous:
        return None
    if stmt.name.value not in ("handle_accept", "handle_accepted"):
        return None
    accepted = accepted_names(stmt)
    if isinstance(accepted, str):
        return None
    pair, rest = accepted
    return built_channel(rest[0], list(pair)) if len(rest) == 1 else None


def built_channel(stmt: cst.BaseStatement, accepted: List[str]) -> Optional[str]:
    """``[name =] Channel(self, conn, addr)``: Channel."""
    expr = small(stmt)
    if isinstance(expr, cst.Assign) and len(expr.targets) == 1:
        if not isinstance(expr.targets[0].target, cst.Name):
            return None
        call = expr.value
    elif isinstance(expr, cst.Expr):
        call = expr.value
    else:
        return None
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Name):
        return None
    args = [None if a.star or a.keyword else dotted_name(a.value) for a in call.args]
    if any(a.star for a in call.args):
        return None
    return call.func.value if args[:3] == ["self", *accepted] else None  # extras: see bind


def read_channels(
    module: cst.Module, names: LegacyNames
) -> Tuple[List[cst.ClassDef], Dict[str, ChannelPlan]]:
    """Every SMTPChannel subclass of a module, and how each converts, by name."""
    m = cst.matchers
    found = [
        c
        for c in m.findall(module, m.ClassDef())
        if isinstance(c, cst.ClassDef)
        and "smtpd.SMTPChannel" in [names.legacy_name(b.value) for b in c.bases]
    ]
    return found, {c.name.value: analyse_channel(c, names) for c in found}


def attached_channel(
    server: cst.ClassDef,
    plans: Dict[str, ChannelPlan],
    names: LegacyNames,
    module: Optional[cst.Module] = None,
) -> Tuple[Optional[ChannelPlan], List[cst.BaseStatement]]:
    """The convertible channel a server builds, and the statements that build it.

    A ``handle_accept``/``handle_accepted`` that runs code of its own around building
    the channel hands that code to the channel's plan (smtpd's own channel gets a plan
    made for it); one the codemod cannot read leaves the server to the planner's report.
    """
    name, building = channel_class_of(server)
    statements = [building] if building is not None else []
    method = accept_method(server)
    hook: Optional[AcceptHook] = None
    if method is not None and method is not building:
        read = read_accept(method, names)
        if isinstance(read, str) or (read.channel and name and read.channel != name):
            return None, []
        hook = read
        name = hook.channel or name
        statements.append(method)
    channel = plans.get(name or "")
    if hook is not None and name is None:
        channel = own_session(server, names)
    if hook is not None and channel is not None:
        kept = reads_kept_channel(module or server, server, hook.build) if hook.build else None
        if kept is not None:
            channel.reasons.append(kept)
        if channel.accepted_by not in (None, server.name.value):
            channel.reasons.append(f"{channel.accepted_by} and {server.name.value} accept for it")
        channel.accept, channel.accepted_by = hook, server.name.value
        with_session(channel)
    if channel is not None and channel.convertible:
        accept_code = hook.statements if hook is not None else []
        why = bind_arguments(channel, server, method if hook is not None else building, accept_code)
        if why is not None:
            channel.reasons.append(why)
    if channel is None or not channel.convertible:
        return None, []
    return channel, statements


def with_session(channel: ChannelPlan) -> None:
    """A channel whose policy became hooks now gets an SMTP subclass: they join it there.

    Where they cannot (they read smtpd's own helpers), the hooks stay in the handler and
    the subclass holds only the accept code.
    """
    if channel.hooks and channel.hooks_as_verbs is not None:
        channel.verbs += channel.hooks_as_verbs
        channel.hooks = []
    if channel.auth is not None:
        channel.reasons.append(
            "its AUTH exchange becomes an authenticator and the server's accept code an SMTP "
            "subclass: convert by hand"
        )


def own_session(server: cst.ClassDef, names: LegacyNames) -> ChannelPlan:
    """A plan for smtpd's own channel: the SMTP subclass that runs a server's accept code."""
    node = cst.parse_statement(f"class {server.name.value}Session(smtpd.SMTPChannel):\n    pass\n")
    assert isinstance(node, cst.ClassDef)
    return ChannelPlan(node, names=names, synthesized=True)


def channels_by_name(plans: List[ChannelPlan]) -> Dict[str, ChannelPlan]:
    return {p.name: p for p in plans}

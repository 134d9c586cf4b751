"""Translate an ``smtpd.SMTPChannel`` method into a method of an aiosmtpd ``SMTP`` subclass.

smtpd dispatched ``VERB arg`` to ``channel.smtp_VERB(arg)``; aiosmtpd dispatches it
to ``SMTP.smtp_VERB(arg)`` with the same raw argument (the rest of the line,
stripped, or None), so an override keeps its meaning in an ``SMTP`` subclass once
its replies are awaited and the channel state it reads is read where aiosmtpd
keeps it (``self.seen_greeting`` is ``self.session.host_name`` ...). A method that
touches anything else of the channel (its socket, its line buffer, its private
helpers) is no translation: the reason says what it touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple, Union

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import LegacyNames, dotted_name

# The channel state a method may read or write, and where aiosmtpd keeps it.
SESSION_STATE = {
    "seen_greeting": "self.session.host_name",
    "extended_smtp": "self.session.extended_smtp",
    "mailfrom": "self.envelope.mail_from",
    "rcpttos": "self.envelope.rcpt_tos",
    "peer": "self.session.peer",
    "addr": "self.session.peer",  # the accepted address: the peer's, as smtpd's peer
    "fqdn": "self.hostname",
    "smtp_server": "self.event_handler",
    "data_size_limit": "self.data_size_limit",
    "enable_SMTPUTF8": "self.enable_SMTPUTF8",
    # Both keep the per-command line limits under these names, and both EHLOs raise MAIL's
    # by 26 for SIZE: a copied smtp_EHLO's ``command_size_limits["MAIL"] += 26`` is theirs.
    "command_size_limits": "self.command_size_limits",
    "command_size_limit": "self.command_size_limit",
}
# smtpd kept deprecated aliases of its channel state under its Python 2 private names: in a
# subclass itself named SMTPChannel, self.__greeting is _SMTPChannel__greeting, seen_greeting.
SMTPD_ALIASES = {
    "__server": "smtp_server",
    "__line": "received_lines",
    "__state": "smtp_state",
    "__greeting": "seen_greeting",
    "__mailfrom": "mailfrom",
    "__rcpttos": "rcpttos",
    "__data": "received_data",
    "__fqdn": "fqdn",
    "__peer": "peer",
    "__conn": "conn",
    "__addr": "addr",
}
# The same aliases spelled out, as any subclass can (``self._SMTPChannel__greeting``).
SPELLED_ALIASES = {f"_SMTPChannel{alias}": name for alias, name in SMTPD_ALIASES.items()}


WRITABLE = frozenset({"seen_greeting", "extended_smtp", "mailfrom"})
# smtpd's seen_greeting was '' before HELO/EHLO, aiosmtpd's host_name is None.
UNSET_NONE = frozenset({"seen_greeting"})
# Verbs both servers answer: ``base.smtp_VERB(self, arg)`` is ``await super().smtp_VERB(arg)``.
BASE_VERBS = frozenset("HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP".split())
# What smtpd.SMTPChannel (with asynchat and asyncore) defined: a method that reads any
# other of these reaches legacy machinery. Measured on Python 3.11.
CHANNEL_NAMES = frozenset(
    """COMMAND DATA _decode_data _dotsep _emptystring _fileno _get_data _getaddr _getparams
    _linesep _map _newline _set_post_data_state _set_rset_state _strip_command_keyword
    ac_in_buffer ac_in_buffer_size ac_out_buffer_size accept accepting add_channel addr bind
    close close_when_done closing collect_incoming_data command_size_limit
    command_size_limits conn connect connected connecting create_socket data_size_limit debug
    del_channel discard_buffers enable_SMTPUTF8 encoding extended_smtp found_terminator fqdn
    get_terminator handle_accept handle_accepted handle_close handle_connect
    handle_connect_event handle_error handle_expt handle_expt_event handle_read
    handle_read_event handle_write handle_write_event ignore_log_types incoming
    initiate_send listen log log_info mailfrom max_command_size_limit num_bytes peer
    producer_fifo push push_with_producer rcpttos readable received_data received_lines recv
    require_SMTPUTF8 seen_greeting send set_reuse_addr set_socket set_terminator smtp_server
    smtp_state socket terminator use_encoding writable mail_options rcpt_options""".split()
)
# What aiosmtpd 1.4's SMTP defines (class and instance): an attribute of the channel's
# own may not take one of these names in the subclass.
SMTP_NAMES = frozenset(
    """AuthLoginPasswordChallenge AuthLoginUsernameChallenge _334_PREFIX _auth_callback
    _auth_interact _auth_methods _auth_require_tls _auth_required _authenticate
    _authenticator _call_handler_hook _cb_client_connected _client_connected_cb _closed
    _connection_lost _create_envelope _create_session _decode_data _drain_helper
    _drain_waiters _ehlo_hook_ver _enforce_call_limit _get_close_waiter _getaddr _getparams
    _handle_client _handle_hooks _handler_coroutine _loop _original_transport _over_ssl
    _paused _proxy_timeout _reject_connection _replace_writer _reset_timeout
    _set_post_data_state _set_rset_state _smtp_methods _source_traceback _stream_reader
    _stream_reader_wr _stream_writer _strip_command_keyword _strong_reader _syntax_available
    _task _timeout_cb _timeout_duration _timeout_handle _tls_handshake_okay _tls_protocol
    _transport _reader _writer _call_limit_base _call_limit_default auth_LOGIN auth_PLAIN
    authenticated challenge_auth check_auth_needed check_helo_needed command_size_limit
    command_size_limits connection_lost connection_made data_received data_size_limit
    enable_SMTPUTF8 envelope eof_received event_handler handle_exception hostname ident
    line_length_limit local_part_limit loop max_command_size_limit pause_writing push
    require_starttls resume_writing session smtp_AUTH smtp_DATA smtp_EHLO smtp_EXPN
    smtp_HELO smtp_HELP smtp_MAIL smtp_NOOP smtp_QUIT smtp_RCPT smtp_RSET smtp_STARTTLS
    smtp_VRFY tls_context transport""".split()
)
# Calls that do not fail on what a command gives them (their arguments are read apart).
QUIET_CALLS = frozenset({"print", "str", "repr"})
# aiosmtpd's Controller.start() connects to itself once, reads the greeting and hangs up.
SELF_CHECK = "the connection aiosmtpd's Controller.start() opens to itself to check it serves"
RESET = "self.envelope = self._create_envelope()"  # aiosmtpd's documented reset
# Closing the channel: asyncio's transport sends what was pushed, then closes; aiosmtpd's
# connection_lost then ends the session (as its own QUIT does).
CLOSERS = ("self.close_when_done", "self.close")
CLOSE = "self.transport.close()"
# aiosmtpd's HELP text of each verb (its @syntax): an override keeps it, as smtpd's did.
SYNTAX = {
    "HELO": "'HELO hostname'",
    "EHLO": "'EHLO hostname'",
    "NOOP": "'NOOP [ignored]'",
    "QUIT": "'QUIT'",
    "HELP": "'HELP [command]'",
    "VRFY": "'VRFY <address>'",
    "MAIL": "'MAIL FROM: <address>', extended=' [SP <mail-parameters>]'",
    "RCPT": "'RCPT TO: <address>', extended=' [SP <mail-parameters>]'",
    "RSET": "'RSET'",
    "DATA": "'DATA'",
}


@dataclass
class Helpers:
    """A channel's plain methods: those that reply (coroutines) and the others (may raise)."""

    coroutines: Set[str] = field(default_factory=set)
    plain: Set[str] = field(default_factory=set)
    raising: Set[str] = field(default_factory=set)  # those that may raise
    # The channel is itself named SMTPChannel: self.__mailfrom is smtpd's alias of mailfrom.
    aliases: bool = False


def is_helper(name: str) -> bool:
    """A plain method of the channel's own: neither a verb nor a name of either server."""
    if name.startswith("smtp_") or (name.startswith("__") and name.endswith("__")):
        return False
    return name not in CHANNEL_NAMES and name not in SMTP_NAMES


def read_helpers(
    functions: List[cst.FunctionDef], names: LegacyNames, own: Set[str], aliases: bool = False
) -> Tuple[Helpers, Dict[str, Union[SessionMethod, str]]]:
    """Which helpers reply, and each helper translated (or why not), by name."""
    every = {f.name.value for f in functions}
    coroutines = replying_helpers(functions, names)
    helpers = Helpers(coroutines, every - coroutines, set(every), aliases)  # all may raise
    done: Dict[str, Union[SessionMethod, str]] = {}
    raising: Set[str] = set()
    while raising != helpers.raising:  # until what each helper calls is known to be safe
        raising = set(helpers.raising)
        for function in functions:
            done[function.name.value] = translate_helper(function, names, own, helpers)
        safe = [m.name for m in done.values() if isinstance(m, SessionMethod) and not m.raises]
        helpers.raising -= set(safe)
    for method in done.values():
        if isinstance(method, SessionMethod):
            method.raises = False  # its callers are noted if it can raise
    return helpers, done


def replying_helpers(helpers: List[cst.FunctionDef], names: LegacyNames) -> Set[str]:
    """The helpers that reply, call a verb or call a helper that does: coroutines now."""
    found: Set[str] = set()
    changed = True
    while changed:
        changed = False
        for function in helpers:
            if function.name.value not in found and replies(function, names, found):
                found.add(function.name.value)
                changed = True
    return found


def replies(function: cst.FunctionDef, names: LegacyNames, coroutines: Set[str]) -> bool:
    m = cst.matchers
    for call in m.findall(function.body, m.Call()):
        assert isinstance(call, cst.Call)
        name = dotted_name(call.func) or ""
        method = name[len("self.") :]
        if name == "self.push" or base_verb(call, names) or name.startswith("self.smtp_"):
            return True
        if name.startswith("self.") and method in coroutines:
            return True
    return False


@dataclass
class SessionMethod:
    """An ``smtp_VERB`` method, translated; ``raises`` when it can fail on bad input."""

    original: cst.FunctionDef
    method: cst.FunctionDef
    raises: bool = False

    @property
    def name(self) -> str:
        return self.original.name.value


def own_attributes(channel: cst.ClassDef) -> Set[str]:
    """``self.X = ...`` targets of the channel's methods that are the channel's own."""
    m = cst.matchers
    targets = m.findall(
        channel, m.AssignTarget(target=m.Attribute(value=m.Name("self"), attr=m.Name()))
    )
    found = set()
    for target in targets:
        assert isinstance(target, cst.AssignTarget) and isinstance(target.target, cst.Attribute)
        found.add(target.target.attr.value)
    if channel.name.value == "SMTPChannel":  # self.__greeting = x sets smtpd's seen_greeting
        found -= set(SMTPD_ALIASES)
    return found - CHANNEL_NAMES - set(SPELLED_ALIASES)


def colliding(names: Set[str]) -> List[str]:
    return sorted(names & SMTP_NAMES)


def renamed(attr: str) -> str:
    """The name an attribute of the channel's own takes where aiosmtpd's SMTP has it too."""
    return f"channel_{attr}"


def renames_of(own: Set[str]) -> Dict[str, str]:
    """Each attribute of the channel's own that aiosmtpd's SMTP has too, and its new name."""
    return {attr: renamed(attr) for attr in colliding(own)}


class RenameOwn(cst.CSTTransformer):
    """``self.session`` (the channel's own) -> ``self.channel_session``."""

    def __init__(self, renames: Dict[str, str]) -> None:
        super().__init__()
        self.renames = renames

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        new = self.renames.get(original_node.attr.value)
        if new is not None and dotted_name(original_node.value) == "self":
            return updated_node.with_changes(attr=cst.Name(new))
        return updated_node


def with_renames(node: cst.CSTNodeT, own: Set[str]) -> cst.CSTNodeT:
    """The node with the channel's own attributes that collide renamed (see renamed)."""
    renames = renames_of(own)
    if not renames:
        return node
    result = node.visit(RenameOwn(renames))
    assert isinstance(result, type(node))
    return result


def base_verb(call: cst.Call, names: LegacyNames) -> Optional[str]:
    """``VERB`` of ``smtpd.SMTPChannel.smtp_VERB(self, x)``, ``super().smtp_VERB(x)``."""
    func = call.func
    if not isinstance(func, cst.Attribute) or not func.attr.value.startswith("smtp_"):
        return None
    owner, args = func.value, list(call.args)
    if isinstance(owner, cst.Call) and dotted_name(owner.func) == "super":
        pass
    elif names.legacy_name(owner) == "smtpd.SMTPChannel" and args:
        if dotted_name(args[0].value) != "self":
            return None
        args = args[1:]
    else:
        return None
    if len(args) != 1 or args[0].star or args[0].keyword:
        return None
    return func.attr.value[len("smtp_") :]


def is_base_push(call: cst.Call, names: LegacyNames) -> bool:
    """``smtpd.SMTPChannel.push(self, msg)`` or ``super().push(msg)``: the reply itself."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value != "push":
        return False
    owner, args = func.value, list(call.args)
    if isinstance(owner, cst.Call) and dotted_name(owner.func) == "super":
        return len(args) == 1 and not args[0].star and not args[0].keyword
    explicit = names.legacy_name(owner) == "smtpd.SMTPChannel" and len(args) == 2
    return explicit and dotted_name(args[0].value) == "self" and not args[1].keyword


class ToSession(cst.CSTTransformer):
    """Rewrites one method body; ``problem`` says why it cannot run in an SMTP subclass."""

    def __init__(
        self, names: LegacyNames, own: Set[str], helpers: Optional[Helpers] = None
    ) -> None:
        super().__init__()
        self.names = names
        self.own = own
        self.helpers = helpers or Helpers()
        self.returns_values = False  # a helper's value is its callers' to use
        self.problem: Optional[str] = None
        self.raises = False
        self.handled: Set[int] = set()  # calls that are replies or base calls
        self.awaited: Set[int] = set()  # those of them that are statements of their own
        self.truth: Set[int] = set()  # expressions read only for their truth value
        self.targets: Set[int] = set()  # expressions assigned to
        self.renames = renames_of(own)  # the channel's own attributes aiosmtpd's SMTP has too

    def fail(self, why: str) -> None:
        self.problem = self.problem or why

    def public(self, attr: str) -> str:
        """smtpd's public name of a deprecated alias it kept (see SMTPD_ALIASES)."""
        if self.helpers.aliases and attr not in self.own:
            return SMTPD_ALIASES.get(attr, attr)
        return SPELLED_ALIASES.get(attr, attr)

    def leave_Expr(
        self, original_node: cst.Expr, updated_node: cst.Expr
    ) -> Union[cst.BaseSmallStatement, cst.RemovalSentinel]:
        call = original_node.value
        if not isinstance(call, cst.Call):
            return updated_node
        new = updated_node.value
        assert isinstance(new, cst.Call)
        self.awaited.add(id(call))
        if dotted_name(call.func) == "self.push" and len(call.args) == 1:
            return updated_node.with_changes(value=cst.Await(new))
        if dotted_name(call.func) == "self._set_rset_state" and not call.args:
            statement = cst.parse_statement(RESET)
            assert isinstance(statement, cst.SimpleStatementLine)
            return statement.body[0]
        if dotted_name(call.func) in CLOSERS and not call.args:
            return updated_node.with_changes(value=cst.parse_expression(CLOSE))
        if self.own_coroutine(call):
            return updated_node.with_changes(value=cst.Await(new))
        if is_base_push(call, self.names):
            argument = new.args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            base = cst.parse_expression("super().push()")
            assert isinstance(base, cst.Call)
            return updated_node.with_changes(value=cst.Await(base.with_changes(args=[argument])))
        verb = base_verb(call, self.names)
        if verb is not None and verb in BASE_VERBS:
            argument = new.args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            base = cst.parse_expression(f"super().smtp_{verb}()")
            assert isinstance(base, cst.Call)
            return updated_node.with_changes(value=cst.Await(base.with_changes(args=[argument])))
        return updated_node

    def visit_Call(self, node: cst.Call) -> None:
        name = dotted_name(node.func) or ""
        if name == "super":
            return
        if self.own_coroutine(node):
            self.handled.add(id(node))
        method = name[len("self.") :] if name.startswith("self.") else ""
        if self.own_coroutine(node) or method in self.helpers.plain:
            self.raises |= method in self.helpers.raising
            return
        if is_base_push(node, self.names):
            self.handled.add(id(node))
            return
        if name in CLOSERS and not node.args:
            self.handled.add(id(node))  # a statement of its own (else: inside an expression)
            return
        if name in ("self.push", "self._set_rset_state") or base_verb(node, self.names):
            verb = base_verb(node, self.names)
            if verb is not None and verb not in BASE_VERBS:
                self.fail(f"it calls the base smtp_{verb}, which aiosmtpd has not")
            self.handled.add(id(node))
            return
        if name.startswith("self.") and name.count(".") == 1:
            self.fail(f"it calls the channel's {name}()")
        if name not in QUIET_CALLS or any(a.star for a in node.args):
            self.raises = True  # (what a quiet call is given is read on its own)

    def own_coroutine(self, call: cst.Call) -> bool:
        """``self.smtp_EHLO(arg)``, ``self.reply(...)``: a method of the channel's that replies."""
        name = dotted_name(call.func) or ""
        method = name[len("self.") :]
        if name.startswith("self.") and method in self.helpers.coroutines:
            return True
        if not name.startswith("self.smtp_") or len(call.args) != 1 or call.args[0].keyword:
            return False
        return method in self.own or method[len("smtp_") :] in BASE_VERBS

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            if node.attr.value[len("smtp_") :] in BASE_VERBS:
                return
            attr = self.public(node.attr.value)
            known = attr in SESSION_STATE or attr in self.own
            if not known and attr not in ("push", "_set_rset_state", "close_when_done", "close"):
                self.fail(f"it reads the channel's self.{attr}")

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.targets.add(id(node.target))
        target = node.target
        if isinstance(target, cst.Attribute) and dotted_name(target.value) == "self":
            attr = self.public(target.attr.value)
            if attr in SESSION_STATE and attr not in WRITABLE:
                self.fail(f"it sets the channel's self.{attr}")

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if dotted_name(node.value) == "self.command_size_limits":  # a defaultdict in both
            return
        if dotted_name(node.value) in ("self.peer", "self.addr") and is_host_or_port(node):
            return  # the peer's (host, port) in both
        self.raises = True

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        """``"250 " + arg`` fails on a missing argument; ``"250 %s" % x`` does not."""
        left = node.left
        if not isinstance(node.operator, cst.Modulo) or not isinstance(left, cst.SimpleString):
            self.raises = True
        elif not only_str_conversions(left):
            self.raises = True

    def visit_Comparison(self, node: cst.Comparison) -> None:
        """``"x" in arg`` and ``arg < y`` fail on a missing argument (None)."""
        literal = (cst.Tuple, cst.List, cst.Set, cst.SimpleString, cst.Dict)
        for target in node.comparisons:
            membership = isinstance(target.operator, (cst.In, cst.NotIn))
            order = isinstance(
                target.operator,
                (cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual),
            )
            if order or (membership and not isinstance(target.comparator, literal)):
                self.raises = True

    def visit_For(self, node: cst.For) -> None:
        if not isinstance(node.iter, (cst.Tuple, cst.List)):
            self.raises = True

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.fail("it defines a function")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.fail("it defines a function")

    def visit_Yield(self, node: cst.Yield) -> None:
        self.fail("it yields")

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None and not self.returns_values:
            self.fail("it returns a value (smtpd ignored it)")

    def visit_Raise(self, node: cst.Raise) -> None:
        self.raises = True

    # Where a value counts only as true or false: smtpd's '' and aiosmtpd's None agree there.
    def visit_If(self, node: cst.If) -> None:
        self.truth.add(id(node.test))

    def visit_While(self, node: cst.While) -> None:
        self.truth.add(id(node.test))

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self.truth.add(id(node.test))

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self.truth.add(id(node.expression))

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        if id(node) in self.truth:
            self.truth |= {id(node.left), id(node.right)}
        elif isinstance(node.operator, cst.Or):  # a false left gives the right, '' or None
            self.truth.add(id(node.left))

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if isinstance(original_node.value, cst.Name) and original_node.value.value == "self":
            attr = original_node.attr.value
            if attr in self.renames:
                return updated_node.with_changes(attr=cst.Name(self.renames[attr]))
            attr = self.public(attr)
            where = SESSION_STATE.get(attr)
            if where is not None and attr in UNSET_NONE and not self.plain(original_node):
                where = f'({where} or "")'  # smtpd's value before the greeting was ''
            if where is not None:
                return cst.parse_expression(where)
        return updated_node

    def plain(self, node: cst.Attribute) -> bool:
        """True where '' and None read the same: a truth test, or an assignment's target."""
        return id(node) in self.truth or id(node) in self.targets


def is_host_or_port(node: cst.Subscript) -> bool:
    """``[0]`` or ``[1]``."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return False
    index = node.slice[0].slice.value
    return isinstance(index, cst.Integer) and index.value in ("0", "1")


def only_str_conversions(template: cst.SimpleString) -> bool:
    """True when every ``%`` conversion in a literal is ``%s`` (any value formats)."""
    text = str(template.evaluated_value)
    return all(part.startswith("s") for part in text.replace("%%", "").split("%")[1:])


class BareSelf(cst.CSTVisitor):
    """``self`` used other than as the owner of an attribute: the channel object itself."""

    def __init__(self) -> None:
        self.found = False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            return False
        return True

    def visit_Call(self, node: cst.Call) -> bool:
        return dotted_name(node.func) != "super"  # super(Channel, self) names the base

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "self":
            self.found = True


def uses_self_itself(body: cst.CSTNode, names: LegacyNames) -> bool:
    """True when ``self`` is passed on, but not as the explicit self of a base call."""
    checker = BareSelf()
    stripped = body.visit(WithoutBaseSelf(names))
    assert isinstance(stripped, cst.CSTNode)
    stripped.visit(checker)
    return checker.found


class WithoutBaseSelf(cst.CSTTransformer):
    """Drops the explicit ``self`` of ``smtpd.SMTPChannel.smtp_X(self, arg)``."""

    def __init__(self, names: LegacyNames) -> None:
        super().__init__()
        self.names = names

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        owner = original_node.func
        base = base_verb(original_node, self.names) or is_base_push(original_node, self.names)
        if isinstance(owner, cst.Attribute) and base:
            if not isinstance(owner.value, cst.Call):
                return updated_node.with_changes(args=updated_node.args[1:])
        return updated_node


def translate(
    function: cst.FunctionDef,
    names: LegacyNames,
    own: Set[str],
    helpers: Optional[Helpers] = None,
) -> Union[SessionMethod, str]:
    """The ``async def`` an SMTP subclass gets for a channel's ``smtp_VERB``, or why not."""
    params = function.params
    star = isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None
    if len(params.params) != 2 or star or params.kwonly_params or params.posonly_params:
        return "its signature is not (self, arg)"
    if function.decorators or function.asynchronous:
        return "it is decorated or already async"
    if any(p.default is not None for p in params.params):
        return "its signature is not (self, arg)"
    return translated(function, names, own, helpers)


def translate_push(
    function: cst.FunctionDef, names: LegacyNames, own: Set[str], helpers: Helpers
) -> Union[SessionMethod, str]:
    """A ``push`` override: aiosmtpd's SMTP sends every reply through its ``push`` too."""
    result = translate(function, names, own, helpers)
    return result.replace("(self, arg)", "(self, msg)") if isinstance(result, str) else result


def translate_helper(
    function: cst.FunctionDef, names: LegacyNames, own: Set[str], helpers: Helpers
) -> Union[SessionMethod, str]:
    """A plain method the commands call: ``async def`` when it replies, else as it was."""
    params = function.params.params
    if function.decorators or function.asynchronous:
        return "it is decorated or already async"
    if not params or params[0].name.value != "self":
        return "its first parameter is not self"
    return translated(function, names, own, helpers, helper=True)


def closes_last(function: cst.FunctionDef) -> bool:
    """Every ``self.close_when_done()``/``self.close()`` ends the method: the last statement
    of its body, or followed by ``return`` (smtpd dropped replies pushed after it; asyncio's
    transport would still send them)."""
    m = cst.matchers
    closing = m.SimpleStatementLine(
        body=[m.Expr(value=m.Call(func=m.Attribute(value=m.Name("self"))))]
    )
    body = function.body
    last = block_body(body)[-1] if isinstance(body, cst.IndentedBlock) and body.body else None
    for block in m.findall(body, m.IndentedBlock()):
        assert isinstance(block, cst.IndentedBlock)
        lines = list(block.body)
        for index, stmt in enumerate(lines):
            if not (m.matches(stmt, closing) and is_close(stmt)):
                continue
            after = lines[index + 1 : index + 2]
            returns = bool(after) and m.matches(after[0], m.SimpleStatementLine(body=[m.Return()]))
            if not returns and stmt is not last:
                return False
    return True


def is_close(stmt: cst.BaseStatement) -> bool:
    expr = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
    call = expr.value if isinstance(expr, cst.Expr) else None
    return isinstance(call, cst.Call) and dotted_name(call.func) in CLOSERS and not call.args


class BaseDataCall(cst.CSTTransformer):
    """``smtpd.SMTPChannel.collect_incoming_data(self, x)`` -> ``super().data_received(x)``."""

    def __init__(self, names: LegacyNames) -> None:
        super().__init__()
        self.names = names
        self.found = 0

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = original_node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "collect_incoming_data":
            return updated_node
        args = list(updated_node.args)
        if self.names.legacy_name(func.value) == "smtpd.SMTPChannel" and args:
            args = args[1:] if dotted_name(args[0].value) == "self" else []
        elif not (isinstance(func.value, cst.Call) and dotted_name(func.value.func) == "super"):
            return updated_node
        if len(args) != 1 or args[0].star or args[0].keyword:
            return updated_node
        self.found += 1
        call = cst.parse_expression("super().data_received(x)")
        assert isinstance(call, cst.Call)
        return call.with_changes(args=[args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)])


def translate_data(
    function: cst.FunctionDef, names: LegacyNames, own: Set[str], helpers: Helpers
) -> Union[SessionMethod, str]:
    """A ``collect_incoming_data`` that passes the bytes on to the base once: the SMTP
    subclass's ``data_received`` (asyncio's Protocol method), which gets them first."""
    params = function.params
    if [p.name.value for p in params.params][:1] != ["self"] or len(params.params) != 2:
        return "its signature is not (self, data)"
    if params.star_arg != cst.MaybeSentinel.DEFAULT or params.star_kwarg or params.kwonly_params:
        return "its signature is not (self, data)"
    if function.decorators or function.asynchronous or any(p.default for p in params.params):
        return "its signature is not (self, data)"
    base = BaseDataCall(names)
    body = function.body.visit(base)
    assert isinstance(body, cst.BaseSuite)
    m = cst.matchers
    statement_calls = m.findall(body, m.Expr(value=m.Call()))
    passed_on = [
        c
        for c in statement_calls
        if m.matches(
            c,
            m.Expr(
                value=m.Call(
                    func=m.Attribute(
                        value=m.Call(func=m.Name("super")), attr=m.Name("data_received")
                    )
                )
            ),
        )
    ]
    if base.found != 1 or len(passed_on) != 1:
        return "it does not pass the data on to the base collect_incoming_data once, as a statement"
    result = translated(function.with_changes(body=body), names, own, helpers, helper=True)
    if isinstance(result, str):
        return result
    if result.method.asynchronous is not None or "await " in code_of_node(result.method):
        return "it replies or closes (data_received runs no coroutine)"
    renamed_method = result.method.with_changes(name=cst.Name("data_received"))
    return SessionMethod(function, renamed_method, True)


def code_of_node(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def translated(
    function: cst.FunctionDef,
    names: LegacyNames,
    own: Set[str],
    helpers: Optional[Helpers],
    helper: bool = False,
) -> Union[SessionMethod, str]:
    """The method in the SMTP subclass (a verb, or a helper when ``helper``), or why not."""
    legacy = legacy_use(function.body, names)
    if legacy is not None:
        return legacy
    if uses_self_itself(function.body, names):
        return "it passes the channel object itself on"
    if not closes_last(function):
        return "it closes the channel, then goes on (smtpd sent nothing pushed after that)"
    transformer = ToSession(names, own, helpers)
    transformer.returns_values = helper
    body = function.body.visit(transformer)
    if transformer.problem is not None:
        return transformer.problem
    if transformer.handled - transformer.awaited:
        return "it replies or calls the base method inside an expression"
    assert isinstance(body, cst.BaseSuite)
    method = function.with_changes(body=body, asynchronous=cst.Asynchronous())
    if helper:
        coroutine = helpers is not None and function.name.value in helpers.coroutines
        plain = function.with_changes(body=body)
        return SessionMethod(function, method if coroutine else plain, transformer.raises)
    text = SYNTAX.get(function.name.value[len("smtp_") :])
    if text is not None:
        decorator = cst.Decorator(cst.parse_expression(f"syntax({text})".replace("'", '"')))
        method = method.with_changes(decorators=[decorator])
    return SessionMethod(function, method, transformer.raises)


# What a legacy name meant inside a channel method, where converted code has no such name.
LEGACY_MEANING = {
    "asyncore.ExitNow": "it raises asyncore.ExitNow, which ended smtpd's asyncore.loop() "
    "(the program went on after the loop): stop the Controller there by hand",
}


class LegacyUse(cst.CSTVisitor):
    """The first legacy name (asyncore, asynchat, smtpd) a method uses but a base call."""

    def __init__(self, names: LegacyNames) -> None:
        self.names = names
        self.found: Optional[str] = None

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return self.check(node)

    def visit_Name(self, node: cst.Name) -> None:
        self.check(node)

    def check(self, node: cst.BaseExpression) -> bool:
        name = self.names.legacy_name(node)
        if name is None or self.found is not None:
            return True
        if name in ("smtpd.SMTPChannel", "smtpd.SMTPChannel.push"):
            return False  # the base class of a base call: translated
        if name.startswith("smtpd.SMTPChannel.smtp_"):
            return False  # the base class of a base call: translated
        self.found = name
        return False


def legacy_use(body: cst.CSTNode, names: LegacyNames) -> Optional[str]:
    """Why a method cannot leave smtpd: it uses a legacy name the converted module lacks."""
    checker = LegacyUse(names)
    body.visit(checker)
    if checker.found is None:
        return None
    meaning = LEGACY_MEANING.get(checker.found)
    return meaning or f"it uses {checker.found}, which a program without smtpd has not"

"""A server's own code at each connection (``handle_accept``/``handle_accepted``).

smtpd's server ran ``handle_accept`` and then ``handle_accepted(conn, addr)`` once per
connection, before the channel greeted; subclasses logged, counted or reset state there,
then built the channel as smtpd did (the base call) or by hand. aiosmtpd gives each
connection to its ``SMTP`` session in ``connection_made`` (asyncio's public Protocol
method): that code can run there, on the handler (``self.event_handler``), with the
address aiosmtpd has for the peer. This module reads such a method into an
``AcceptHook`` (the code, the names it gave the socket and the address, and how the
channel was built), or says why it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Set, Tuple, Union

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._auth import small
from smtpd_compat.codemod._build import block_body, statements_of
from smtpd_compat.codemod._channel_args import SERVER_SETTINGS, substituted
from smtpd_compat.codemod._names import LegacyNames, dotted_name
from smtpd_compat.codemod._session import legacy_use

ACCEPT_METHODS = ("handle_accept", "handle_accepted")
# An accept method that builds no channel is no accept code around smtpd's: the server's
# report (it overrides the dispatcher's method) says enough.
BUILDS_NOTHING = "it builds no channel"
# Calls that cannot fail on what an accept hook passes them.
QUIET_CALLS = frozenset({"print", "str", "repr", "len"})


@dataclass
class AcceptHook:
    """The code an accept method ran around building the channel."""

    method: cst.FunctionDef
    statements: List[cst.BaseStatement]
    address: str  # the name the peer's address had
    channel: Optional[str]  # the class built by name; None: the server's channel_class
    by_hand: bool  # built by the method itself, with smtpd's defaults for the settings
    build: Optional[cst.BaseStatement] = None  # the statement that built it

    @property
    def raises(self) -> bool:
        return may_raise(self.statements)


def names_discarded(statement: cst.BaseStatement, names: LegacyNames) -> bool:
    """It names a DEBUGSTREAM that only discarded prints write to (rule debugstream)."""
    return any(
        id(n) in names.discarded for n in cst.matchers.findall(statement, cst.matchers.Name())
    )


def may_raise(statements: List[cst.BaseStatement]) -> bool:
    """True when code may raise: it calls something but print and the like."""
    m = cst.matchers
    calls = [c for s in statements for c in m.findall(s, m.Call())]
    return any(not (isinstance(c, cst.Call) and dotted_name(c.func) in QUIET_CALLS) for c in calls)


def accept_method(server: cst.ClassDef) -> Optional[cst.FunctionDef]:
    """The server's ``handle_accept`` or ``handle_accepted`` override (the first one)."""
    for stmt in block_body(server.body):
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in ACCEPT_METHODS:
            return stmt
    return None


def read_accept(method: cst.FunctionDef, names: LegacyNames) -> Union[AcceptHook, str]:
    """The hook of an accept method, or why its code cannot run in connection_made."""
    if method.decorators or method.asynchronous:
        return "it is decorated or async"
    accepted = accepted_names(method)
    if isinstance(accepted, str):
        return accepted
    (conn, addr), rest = accepted
    builds = [s for s in rest if built(s, conn, addr, names) is not None]
    if not builds:
        return BUILDS_NOTHING
    if len(builds) != 1:
        return "it does not build the channel exactly once (the base call, or a class by name)"
    channel, by_hand = built(builds[0], conn, addr, names) or (None, False)
    # a print to smtpd's unset DEBUGSTREAM went nowhere, and goes (rule debugstream)
    statements = [s for s in rest if s is not builds[0] and not names_discarded(s, names)]
    why = unportable(statements, conn, names) or keeps_channel(builds[0], statements)
    if why is not None:
        return why
    return AcceptHook(method, statements, addr, channel, by_hand, builds[0])


def accepted_names(
    method: cst.FunctionDef,
) -> Union[Tuple[Tuple[str, str], List[cst.BaseStatement]], str]:
    """The socket's and the address's names, and the statements after the accept."""
    params = method.params
    plain = [p.name.value for p in params.params]
    if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.star_kwarg:
        return "its signature is not smtpd's"
    if params.kwonly_params or any(p.default is not None for p in params.params):
        return "its signature is not smtpd's"
    body = statements_of(method)
    if method.name.value == "handle_accepted":
        if len(plain) != 3 or plain[0] != "self":
            return "its signature is not (self, conn, addr)"
        return (plain[1], plain[2]), body
    if plain != ["self"] or not body:
        return "its signature is not (self)"
    pair = unpacked(body[0], "self.accept()")
    if pair is not None:
        return pair, body[1:]
    return checked_pair(body)


def checked_pair(
    body: List[cst.BaseStatement],
) -> Union[Tuple[Tuple[str, str], List[cst.BaseStatement]], str]:
    """``pair = self.accept()``, then ``if pair [is not None]: conn, addr = pair; ...``."""
    assign = small(body[0])
    check = body[-1]
    if len(body) != 2 or not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return "it does not accept as smtpd did (conn, addr = self.accept())"
    name = dotted_name(assign.targets[0].target)
    if name is None or dotted_name(assign.value) is not None or not is_accept(assign.value):
        return "it does not accept as smtpd did (conn, addr = self.accept())"
    if not isinstance(check, cst.If) or check.orelse or not tests_pair(check.test, name):
        return "it does not test the accepted pair as smtpd did (if pair is not None)"
    inner = block_body(check.body)
    pair = unpacked(inner[0], name) if inner else None
    if pair is None:
        return "it does not unpack the accepted pair (conn, addr = pair)"
    return pair, inner[1:]


def is_accept(value: cst.BaseExpression) -> bool:
    """``self.accept()``."""
    if not isinstance(value, cst.Call) or value.args:
        return False
    return dotted_name(value.func) == "self.accept"


def unpacked(stmt: cst.BaseStatement, source: str) -> Optional[Tuple[str, str]]:
    """``conn, addr = <source>`` (``source`` a name or ``self.accept()``): the two names."""
    assign = small(stmt)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    target = assign.targets[0].target
    value = assign.value
    matches = is_accept(value) if source == "self.accept()" else dotted_name(value) == source
    if not matches or not isinstance(target, cst.Tuple) or len(target.elements) != 2:
        return None
    first, second = (e.value for e in target.elements)
    if isinstance(first, cst.Name) and isinstance(second, cst.Name):
        return first.value, second.value
    return None


def tests_pair(test: cst.BaseExpression, name: str) -> bool:
    """``pair`` or ``pair is not None``."""
    if dotted_name(test) == name:
        return True
    m = cst.matchers
    return bool(
        m.matches(
            test,
            m.Comparison(
                left=m.Name(name),
                comparisons=[m.ComparisonTarget(operator=m.IsNot(), comparator=m.Name("None"))],
            ),
        )
    )


def built(
    stmt: cst.BaseStatement, conn: str, addr: str, names: LegacyNames
) -> Optional[Tuple[Optional[str], bool]]:
    """(the class built by name or None, built by hand) when ``stmt`` builds the channel."""
    expr = small(stmt)
    call: Optional[cst.BaseExpression] = None
    if isinstance(expr, cst.Expr):
        call = expr.value
    elif isinstance(expr, cst.Assign) and len(expr.targets) == 1:
        target = expr.targets[0].target
        if isinstance(target, cst.Name) or kept_on_server(target) is not None:
            call = expr.value
    if not isinstance(call, cst.Call) or any(a.star for a in call.args):
        return None
    args = [None if a.keyword else dotted_name(a.value) for a in call.args]
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "handle_accepted":
        owner = func.value  # the base's (super(), smtpd.SMTPServer) or the server's own
        if isinstance(owner, cst.Call) and dotted_name(owner.func) == "super":
            expected = [conn, addr]
        elif names.legacy_name(owner) == "smtpd.SMTPServer":
            expected = ["self", conn, addr]
        elif dotted_name(owner) == "self":
            expected = [conn, addr]
        else:
            return None
        return (None, False) if args == expected else None
    lead = next((i for i in range(len(args)) if args[i : i + 3] == ["self", conn, addr]), -1)
    if lead > 0 and names.legacy_name(func) != "smtpd.SMTPChannel":
        # Channel(extra, self, conn, addr, ...): arguments of the channel's own first
        named = isinstance(func, cst.Name) or dotted_name(func) == "self.channel_class"
        plain = all(a.keyword is None for a in call.args[:lead])
        if not (named and plain):
            return None
        return (func.value if isinstance(func, cst.Name) else None), True
    if args[:3] != ["self", conn, addr]:
        return None
    if names.legacy_name(func) == "smtpd.SMTPChannel" or dotted_name(func) == "self.channel_class":
        if args[3:] == list(SERVER_SETTINGS):
            return None, False  # the server's own settings, as smtpd's handle_accepted
        return (None, True) if len(args) == 3 else None
    return (func.value, True) if isinstance(func, cst.Name) else None


def kept_on_server(target: cst.BaseExpression) -> Optional[str]:
    """``self.name`` (the server keeps the channel it built): the name."""
    m = cst.matchers
    if m.matches(target, m.Attribute(value=m.Name("self"), attr=m.Name())):
        assert isinstance(target, cst.Attribute)
        return target.attr.value
    return None


def reads_kept_channel(
    scope: cst.CSTNode, server: cst.ClassDef, build: cst.BaseStatement
) -> Optional[str]:
    """Why a server that keeps the channel as ``self.name`` cannot lose it: code in
    ``scope`` (the module) reads some object's ``name`` (``server.name`` too)."""
    assign = small(build)
    if not isinstance(assign, cst.Assign):
        return None
    name = kept_on_server(assign.targets[0].target)
    m = cst.matchers
    uses = m.findall(scope, m.Attribute(attr=m.Name(name or "")))
    if name is None or len(uses) <= 1:
        return None  # kept and never read: it goes with the build
    return f"{server.name.value} keeps the channel it builds as self.{name}, and it is read"


def keeps_channel(build: cst.BaseStatement, statements: List[cst.BaseStatement]) -> Optional[str]:
    """Why code using the channel it built (``ch = Channel(...); self.open.append(ch)``)
    cannot move: aiosmtpd's session is no smtpd channel (None when it does not)."""
    assign = small(build)
    if not isinstance(assign, cst.Assign):
        return None
    target = assign.targets[0].target
    m = cst.matchers
    if isinstance(target, cst.Name) and any(m.findall(s, m.Name(target.value)) for s in statements):
        return f"it uses the channel it builds ({target.value}): aiosmtpd's session is none"
    return None


def unportable(statements: List[cst.BaseStatement], conn: str, names: LegacyNames) -> Optional[str]:
    """Why the accept code cannot run in connection_made (None when it can)."""
    m = cst.matchers
    for stmt in statements:
        if m.findall(stmt, m.Name(conn)):
            return f"it uses the accepted socket {conn} (aiosmtpd's session owns it)"
        if m.findall(stmt, m.Name("transport")):
            return "it uses a name 'transport' that connection_made has too"
        if m.findall(stmt, m.Return() | m.Yield() | m.Raise() | m.Lambda() | m.FunctionDef()):
            return "it returns, raises, yields or defines a function"
        if m.findall(stmt, m.Global() | m.Nonlocal() | m.ClassDef()):
            return "it declares names or defines a class"
        legacy = legacy_use(stmt, names)
        if legacy is not None:
            return legacy
    return None


def on_handler(stmt: cst.BaseStatement) -> cst.BaseStatement:
    """``self`` (the server) becomes ``self.event_handler`` (the handler it converts to)."""
    return substituted(stmt, {"self": cst.parse_expression("self.event_handler")})


# The channel state an __init__'s own code may read, and where an SMTP subclass has it
# once connection_made ran aiosmtpd's.
INIT_READS = {
    "smtp_server": "self.event_handler",
    "peer": "self.session.peer",
    "addr": "self.session.peer",
    "fqdn": "self.hostname",
}


class InitCode(cst.CSTTransformer):
    """A statement of a channel ``__init__``, as ``connection_made`` runs it (``problem``)."""

    def __init__(self, params: List[str], hidden: Set[str], channel_names: Set[str]) -> None:
        super().__init__()
        self.server = params[0] if params else None
        self.address = params[2] if len(params) > 2 else None
        self.hidden = hidden
        self.channel_names = channel_names
        self.labels: Set[int] = set()
        self.reads_address = False
        self.problem: Optional[str] = None

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.labels.add(id(node.attr))
        if dotted_name(node.value) == "self":
            attr = node.attr.value
            if attr in self.channel_names and attr not in INIT_READS:
                self.problem = self.problem or f"it uses the channel's self.{attr}"

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.labels.add(id(node.keyword))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) in self.labels:
            return
        if node.value in self.hidden or node.value == "transport":
            self.problem = self.problem or f"it uses {node.value}"
        self.reads_address |= node.value == self.address

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if dotted_name(original_node.value) == "self":
            where = INIT_READS.get(original_node.attr.value)
            if where is not None:
                return cst.parse_expression(where)
        return updated_node

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if original_node.value == self.server and id(original_node) not in self.labels:
            return cst.parse_expression("self.event_handler")
        return updated_node


def init_code(
    stmt: cst.BaseStatement, params: List[str], hidden: Set[str], channel_names: Set[str]
) -> Union[Tuple[cst.BaseStatement, bool], str]:
    """A call or ``server.x += 1`` of an ``__init__``, for connection_made; else why not.

    Also whether it reads the address it was given (connection_made names it the same).
    """
    expr = small(stmt)
    target = expr.target if isinstance(expr, cst.AugAssign) else None
    if not (isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)) and target is None:
        return "it does more than keep values as attributes or call functions"
    if target is not None and dotted_name(target) is not None:
        if (dotted_name(target) or "").startswith("self."):
            return "it changes the channel's own state"
    m = cst.matchers
    if m.findall(stmt, m.Lambda() | m.Yield() | m.Await() | m.NamedExpr()):
        return "it defines a function or assigns a name"
    code = InitCode(params, hidden, channel_names)
    result = stmt.visit(code)
    if code.problem is not None:
        return code.problem
    assert isinstance(result, cst.BaseStatement)
    return result, code.reads_address

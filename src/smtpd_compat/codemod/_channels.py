"""Read an ``smtpd.SMTPChannel`` subclass and decide whether its policy can become hooks.

A channel converts only as a whole: every method it defines must be a policy
override of ``smtp_MAIL`` or ``smtp_RCPT`` of the shape "check something, push
an error and return, else call the base", whose checks read only what an
aiosmtpd hook has too (the server, the peer, the envelope, the address parsed
the way both servers parse it). Anything else yields the reasons it was left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

import libcst as cst

from smtpd_compat.codemod._auth import AuthPlan, analyse_auth, is_base_call, small
from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import LegacyNames, dotted_name

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


UNCONVERTED = {
    "found_terminator": "found_terminator drives the line protocol itself",
    "collect_incoming_data": "collect_incoming_data drives the line protocol itself",
    "push": "push rewrites every reply",
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
class NewVerb:
    """``smtp_XVERB(self, arg)`` answering with literal replies only (rule verbs)."""

    method: cst.FunctionDef
    replies: List[str]


@dataclass
class ChannelPlan:
    node: cst.ClassDef
    hooks: List[PolicyHook] = field(default_factory=list)
    reasons: List[str] = field(default_factory=list)
    auth: Optional[AuthPlan] = None
    verbs: List[NewVerb] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def convertible(self) -> bool:
        return not self.reasons and (bool(self.hooks or self.verbs) or self.auth is not None)


def analyse_channel(node: cst.ClassDef, names: LegacyNames) -> ChannelPlan:
    plan = ChannelPlan(node)
    methods = [s.name.value for s in block_body(node.body) if isinstance(s, cst.FunctionDef)]
    if "smtp_AUTH" in methods:
        analysis = analyse_auth(node, names)
        plan.auth, plan.reasons = analysis.plan, analysis.reasons
        return plan
    late: List[str] = []
    for stmt in block_body(node.body):
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in POLICY_VERBS:
            hook = policy_hook(stmt, names)
            if isinstance(hook, str):
                plan.reasons.append(f"{stmt.name.value}: {hook}")
            else:
                plan.hooks.append(hook)
        elif isinstance(stmt, cst.FunctionDef) and is_new_verb(stmt.name.value):
            verb = new_verb(stmt)
            if isinstance(verb, str):
                plan.reasons.append(f"{stmt.name.value}: {verb}")
            else:
                plan.verbs.append(verb)
        elif isinstance(stmt, cst.FunctionDef):
            plan.reasons.append(UNCONVERTED.get(stmt.name.value, OTHER).format(stmt.name.value))
        elif not is_docstring(stmt) and not is_pass(stmt):
            late.append("its class body holds more than methods")
    if plan.verbs and plan.hooks:
        late.append("it mixes policy overrides and new verbs (convert by hand)")
    if node.decorators or node.keywords or len(node.bases) != 1:
        late.append("it has decorators, keywords or other bases")
    plan.reasons += late
    return plan


# The verbs smtpd's channel answered itself: an override of one is no new verb.
LEGACY_VERBS = frozenset("HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP".split())


def is_new_verb(name: str) -> bool:
    verb = name[len("smtp_") :]
    return name.startswith("smtp_") and verb.isupper() and verb not in LEGACY_VERBS


def new_verb(method: cst.FunctionDef) -> Union[NewVerb, str]:
    """A verb method that only pushes literal replies, or why it is not one."""
    params = method.params
    star = isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None
    if len(params.params) != 2 or star or params.kwonly_params or method.decorators:
        return "its signature is not (self, arg)"
    body = [s for s in block_body(method.body) if not is_docstring(s)]
    if body and isinstance(small(body[-1]), cst.Return) and small(body[-1]).value is None:  # type: ignore[union-attr]
        body = body[:-1]
    replies = [literal_push(s) for s in body]
    if not replies or any(r is None for r in replies):
        return "it does more than push literal replies (an SMTP subclass by hand)"
    return NewVerb(method, [r for r in replies if r is not None])


def literal_push(stmt: cst.BaseStatement) -> Optional[str]:
    """The reply of ``self.push("...")`` with a literal, else None."""
    expr = small(stmt)
    if not (isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)):
        return None
    call = expr.value
    if dotted_name(call.func) != "self.push" or len(call.args) != 1 or call.args[0].keyword:
        return None
    value = call.args[0].value
    if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
        return value.value  # the literal as written, quotes included
    return None


def is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


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
    body = [s for s in block_body(function.body) if not is_docstring(s)]
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
    """``channel_class = Name`` in a server class body: the name and the statement."""
    for stmt in block_body(server.body):
        assign = small(stmt)
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
            target = assign.targets[0].target
            if isinstance(target, cst.Name) and target.value == "channel_class":
                return dotted_name(assign.value), stmt
    return None, None


def channels_by_name(plans: List[ChannelPlan]) -> Dict[str, ChannelPlan]:
    return {p.name: p for p in plans}

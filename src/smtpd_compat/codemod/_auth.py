"""Read an AUTH channel and decide whether its credential check can become an authenticator.

The shape converted is CPython test_smtplib's: ``smtp_AUTH`` picks the PLAIN
mechanism and either checks the initial response or switches to a custom
state, ``found_terminator`` hands the next line of that state to the same
check, and a helper decodes ``base64.b64decode(response).decode().split("\\0")``
and pushes 235 or 535 on a condition over the user and the password. aiosmtpd
runs the exchange itself; only that condition carries over. The dialogue
methods may only move between states, push continuations or refusals and call
the check: nothing else may push a 2xx, read other channel state or call other
code. An ``smtp_EHLO`` may only be smtpd's own with a ``250-AUTH`` line before
``250 HELP``; an ``smtp_MAIL`` may only refuse MAIL before AUTH. Anything else
yields the reasons the channel was left.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple, Union

import libcst as cst

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import LegacyNames, dotted_name

MECHANISMS = frozenset({"PLAIN"})
# Encodings in which a NUL byte is always the NUL character.
SPLIT_SAFE = frozenset({"utf-8", "utf8", "ascii", "latin-1", "latin1", "iso-8859-1"})
MECHANISM = re.compile(r"[A-Z0-9][A-Z0-9_-]*\Z")
DIALOGUE_READS = frozenset("smtp_state COMMAND received_lines _emptystring push".split())
PURE_CALLS = frozenset(
    "len str upper lower strip lstrip rstrip split rsplit partition rpartition join"
    " startswith endswith get".split()
)
# Python 3.11's SMTPChannel.smtp_EHLO: an override equal to it plus one AUTH line converts.
STDLIB_EHLO = """
def smtp_EHLO(self, arg):
    if not arg:
        self.push('501 Syntax: EHLO hostname')
        return
    if self.seen_greeting:
        self.push('503 Duplicate HELO/EHLO')
        return
    self._set_rset_state()
    self.seen_greeting = arg
    self.extended_smtp = True
    self.push('250-%s' % self.fqdn)
    if self.data_size_limit:
        self.push('250-SIZE %s' % self.data_size_limit)
        self.command_size_limits['MAIL'] += 26
    if not self._decode_data:
        self.push('250-8BITMIME')
    if self.enable_SMTPUTF8:
        self.push('250-SMTPUTF8')
        self.command_size_limits['MAIL'] += 10
    self.push('250 HELP')
"""


@dataclass
class AuthPlan:
    """What the authenticator needs: the check, the names it reads, the options."""

    helper: str
    condition: cst.BaseExpression
    user: str
    password: str
    decode_args: str
    success_when: bool = True
    flag: Optional[str] = None
    auth_required: bool = False


@dataclass
class AuthAnalysis:
    plan: Optional[AuthPlan] = None
    reasons: List[str] = field(default_factory=list)


def small(stmt: cst.CSTNode) -> Optional[cst.BaseSmallStatement]:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        return stmt.body[0]
    return None


def string(node: Optional[cst.CSTNode]) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def push_of(stmt: cst.CSTNode) -> Optional[str]:
    """The literal reply of a ``self.push("...")`` statement."""
    expr = small(stmt)
    if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call):
        call = expr.value
        if dotted_name(call.func) == "self.push" and len(call.args) == 1:
            return string(call.args[0].value)
    return None


def plain_signature(function: cst.FunctionDef, names: Tuple[str, ...]) -> bool:
    params = function.params
    return (
        tuple(p.name.value for p in params.params) == names
        and all(p.default is None for p in params.params)
        and not isinstance(params.star_arg, cst.Param)
        and not params.kwonly_params
        and params.star_kwarg is None
        and not function.decorators
        and not function.asynchronous
    )


def analyse_auth(node: cst.ClassDef, names: LegacyNames) -> AuthAnalysis:
    """The AuthPlan of a channel defining ``smtp_AUTH``, or the reasons it stays."""
    result = AuthAnalysis()
    methods = {s.name.value: s for s in block_body(node.body) if isinstance(s, cst.FunctionDef)}
    states, flags, late = class_constants(node)
    result.reasons += late
    auth = methods.pop("smtp_AUTH")
    ehlo = methods.pop("smtp_EHLO", None)
    mail = methods.pop("smtp_MAIL", None)
    terminator = methods.pop("found_terminator", None)
    helpers = {}
    for name, function in methods.items():
        if name in GATED_LATER and gates_verb(function, name, names):
            result.reasons.append(GATED_LATER[name])
        elif name.startswith(("smtp_", "__")) or name in KNOWN_CHANNEL_METHODS:
            result.reasons.append(f"{name} is not part of an AUTH exchange the codemod converts")
        else:
            helpers[name] = function
    checks = [credential_check(f) for f in helpers.values()]
    found = [c for c in checks if isinstance(c, AuthPlan)]
    result.reasons += [f"{n}: {c}" for n, c in zip(helpers, checks) if isinstance(c, str)]
    if len(found) != 1:
        result.reasons.append("it has no single credential check pushing 235 or 535")
        return finish(result, None)
    plan = found[0]
    result.reasons += dialogue_problems(auth, "smtp_AUTH", {plan.helper}, states, flags)
    result.reasons += mechanism_problems(auth)
    if terminator is None and "smtp_state" in cst.Module(body=[auth]).code:
        result.reasons.append("smtp_AUTH: it sets a state that no found_terminator handles")
    if terminator is not None:
        problem = terminator_problem(terminator, names)
        if problem is None:
            dialogue = dialogue_problems(
                terminator, "found_terminator", {plan.helper}, states, flags
            )
            result.reasons += dialogue
        else:
            result.reasons.append(f"found_terminator: {problem}")
    if ehlo is None:
        result.reasons.append(
            "smtp_EHLO does not advertise AUTH, and aiosmtpd would: add it or convert by hand"
        )
    elif not advertises_auth(ehlo):
        result.reasons.append(
            "smtp_EHLO is not smtpd's own plus one '250-AUTH PLAIN' line before '250 HELP'"
        )
    if mail is not None:
        if plan.flag is None or not refuses_before_auth(mail, plan.flag, names):
            result.reasons.append(
                "smtp_MAIL does more than refuse MAIL before AUTH "
                "(if not self.<flag set on 235>: self.push('530 ...'); return; then the base)"
            )
        plan.auth_required = True
    return finish(result, plan)


KNOWN_CHANNEL_METHODS = frozenset(
    "push found_terminator collect_incoming_data handle_read handle_write handle_close"
    " handle_error close _set_rset_state _set_post_data_state _getaddr _getparams"
    " _strip_command_keyword".split()
)


def finish(result: AuthAnalysis, plan: Optional[AuthPlan]) -> AuthAnalysis:
    result.plan = None if result.reasons else plan
    return result


def class_constants(node: cst.ClassDef) -> Tuple[Set[str], Set[str], List[str]]:
    """State constants (``AUTH = 99``), flags (``authenticated = False``) and misfits."""
    states: Set[str] = set()
    flags: Set[str] = set()
    late: List[str] = []
    for stmt in block_body(node.body):
        if isinstance(stmt, cst.FunctionDef):
            continue
        assign = small(stmt)
        if isinstance(assign, cst.Expr) and isinstance(assign.value, cst.SimpleString):
            continue
        target = assign.targets[0].target if isinstance(assign, cst.Assign) else None
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
            if isinstance(target, cst.Name) and isinstance(assign.value, cst.Integer):
                if assign.value.evaluated_value in (0, 1):  # smtpd's COMMAND and DATA
                    late.append(f"its state {target.value} is one of smtpd's own states")
                states.add(target.value)
                continue
            if isinstance(target, cst.Name) and dotted_name(assign.value) == "False":
                flags.add(target.value)
                continue
        late.append("its class body holds more than methods, state numbers and False flags")
    if node.decorators or node.keywords or len(node.bases) != 1:
        late.append("it has decorators, keywords or other bases")
    return states, flags, late


def credential_check(function: cst.FunctionDef) -> Union[AuthPlan, str]:
    """``a, user, password = base64.b64decode(r).decode().split("\\0")`` and 235/535 on a test."""
    params = [p.name.value for p in function.params.params]
    if len(params) != 2 or not plain_signature(function, ("self", params[1])):
        return "it is not a credential check of the shape (self, response)"
    response = params[1]
    body = [s for s in block_body(function.body) if not is_docstring(s)]
    if len(body) != 2 or not isinstance(body[1], cst.If):
        return "it is not a decoding line followed by if/else pushing 235 or 535"
    unpacked = decoded_credentials(body[0], response)
    if unpacked is None:
        return 'it does not decode base64.b64decode(response).decode().split("\\0") into 3 names'
    (authz, user, password), decode_args = unpacked
    branches = success_branches(body[1])
    if branches is None:
        return "its if/else does not push only a 235 and a 535 (and set one flag to True)"
    success_when, flag = branches
    condition = body[1].test
    why = condition_problem(condition, {authz, response, "self"})
    if why:
        return why
    return AuthPlan(function.name.value, condition, user, password, decode_args, success_when, flag)


def is_docstring(stmt: cst.CSTNode) -> bool:
    expr = small(stmt)
    return isinstance(expr, cst.Expr) and isinstance(expr.value, cst.SimpleString)


def decoded_credentials(
    stmt: cst.CSTNode, response: str
) -> Optional[Tuple[Tuple[str, str, str], str]]:
    assign = small(stmt)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    target = assign.targets[0].target
    if not isinstance(target, cst.Tuple) or len(target.elements) != 3:
        return None
    names = [e.value.value for e in target.elements if isinstance(e.value, cst.Name)]
    if len(names) != 3 or len(set(names)) != 3:
        return None
    split = assign.value
    if not (isinstance(split, cst.Call) and isinstance(split.func, cst.Attribute)):
        return None
    if split.func.attr.value != "split" or len(split.args) != 1:
        return None
    if string(split.args[0].value) != "\0" or not isinstance(split.func.value, cst.Call):
        return None
    decode = split.func.value
    if not isinstance(decode.func, cst.Attribute) or decode.func.attr.value != "decode":
        return None
    if any(a.keyword or a.star or string(a.value) is None for a in decode.args):
        return None
    if decode.args and (string(decode.args[0].value) or "").lower() not in SPLIT_SAFE:
        return None  # decoding each part must mean decoding the whole, split on NUL
    b64 = decode.func.value
    if not (isinstance(b64, cst.Call) and dotted_name(b64.func) == "base64.b64decode"):
        return None
    if len(b64.args) != 1 or dotted_name(b64.args[0].value) != response:
        return None
    args = ", ".join(cst.Module(body=[]).code_for_node(a.value) for a in decode.args)
    return (names[0], names[1], names[2]), args


def success_branches(test: cst.If) -> Optional[Tuple[bool, Optional[str]]]:
    """(push 235 when the test holds, the flag set on success) for ``if: push else: push``."""
    if not isinstance(test.orelse, cst.Else):
        return None
    then = list(test.body.body) if isinstance(test.body, cst.IndentedBlock) else []
    other = list(test.orelse.body.body) if isinstance(test.orelse.body, cst.IndentedBlock) else []
    for success, failure, when in ((then, other, True), (other, then, False)):
        if len(failure) != 1 or not (push_of(failure[0]) or "").startswith("535"):
            continue
        flag = None
        if len(success) == 2:
            flag = flag_set(success[0])
            success = success[1:] if flag else success
        if len(success) == 1 and (push_of(success[0]) or "").startswith("235"):
            return when, flag
    return None


def flag_set(stmt: cst.CSTNode) -> Optional[str]:
    assign = small(stmt)
    if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
        target = dotted_name(assign.targets[0].target) or ""
        if target.startswith("self.") and dotted_name(assign.value) == "True":
            return target[len("self.") :]
    return None


class ConditionReads(cst.CSTVisitor):
    """Why a credential test cannot run in an authenticator."""

    def __init__(self, hidden: Set[str]) -> None:
        self.hidden = hidden
        self.problem: Optional[str] = None

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            self.problem = f"its test reads the channel's self.{node.attr.value}"
            return False
        return True

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.hidden:
            self.problem = (
                f"its test reads {node.value!r}: only the user, the password "
                "and module-level names carry over"
            )
        elif node.value in ("server", "session", "envelope", "mechanism", "auth_data"):
            self.problem = f"its test reads a name {node.value!r} the authenticator would hide"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in PURE_CALLS):
            what = dotted_name(func) or "a function"
            self.problem = f"its test calls {what}, other code the codemod cannot prove"

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.problem = "its test defines a function"

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.problem = "its test assigns a name"


def condition_problem(condition: cst.BaseExpression, hidden: Set[str]) -> str:
    reads = ConditionReads(hidden)
    condition.visit(reads)
    return reads.problem or ""


class DialogueCheck(cst.CSTVisitor):
    """The vocabulary of the AUTH dialogue methods: states, continuations, the check."""

    def __init__(self, helpers: Set[str], states: Set[str], flags: Set[str]) -> None:
        self.allowed = DIALOGUE_READS | helpers | states
        self.helpers = helpers
        self.flags = flags
        self.problems: List[str] = []
        self.helper_calls: List[cst.Call] = []

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            if node.attr.value not in self.allowed:
                self.problems.append(f"reads the channel's self.{node.attr.value}")
            return False
        return True

    def visit_Call(self, node: cst.Call) -> None:
        name = dotted_name(node.func) or ""
        if name == "self.push":
            reply = string(node.args[0].value) if len(node.args) == 1 else None
            if reply is None or reply[:1] not in ("3", "4", "5"):
                self.problems.append("pushes something other than a 3xx, 4xx or 5xx literal")
        elif name.startswith("self.") and name[5:] in self.helpers:
            self.helper_calls.append(node)
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in PURE_CALLS:
            return
        elif name in ("len", "super") or (
            isinstance(node.func, cst.Attribute) and node.func.attr.value == "found_terminator"
        ):
            return
        else:
            self.problems.append(f"calls {name or 'a function'}")

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.problems.append("defines a function")

    def visit_Global(self, node: cst.Global) -> None:
        self.problems.append("assigns a global")


def dialogue_problems(
    function: cst.FunctionDef,
    name: str,
    helpers: Set[str],
    states: Set[str],
    flags: Set[str],
) -> List[str]:
    params = ("self", "arg") if name == "smtp_AUTH" else ("self",)
    if not plain_signature(function, params):
        return [f"{name}: the signature is not ({', '.join(params)})"]
    check = DialogueCheck(helpers, states, flags)
    function.body.visit(check)
    sources = Bindings()
    function.body.visit(sources)
    for call in check.helper_calls:
        args = [dotted_name(a.value) for a in call.args]
        if len(args) != 1 or not sources.carries_response(args[0] or "", name):
            check.problems.append(
                "passes the check something other than the response as received "
                '(arg.partition(" ") or arg.split() parts, the joined received_lines)'
            )
    return [f"{name}: it {p}" for p in unique(check.problems)[:1]]


class Bindings(cst.CSTVisitor):
    """What each local name of a dialogue method is assigned from."""

    def __init__(self) -> None:
        self.values: Dict[str, List[cst.BaseExpression]] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            elements = (
                [e.value for e in target.target.elements]
                if isinstance(target.target, (cst.Tuple, cst.List))
                else [target.target]
            )
            for element in elements:
                if isinstance(element, cst.Name):
                    self.values.setdefault(element.value, []).append(node.value)

    def carries_response(self, local: str, method: str) -> bool:
        """Bound once, to a split of ``arg`` or to the joined received lines."""
        values = self.values.get(local, [])
        if len(values) != 1 or not isinstance(values[0], cst.Call):
            return False
        call = values[0]
        if not isinstance(call.func, cst.Attribute):
            return False
        code = cst.Module(body=[]).code_for_node(call.func.value)
        if method == "smtp_AUTH":
            return call.func.attr.value in ("partition", "split") and code in (
                "arg",
                '(arg or "")',
                "(arg or '')",
            )
        joined = [dotted_name(a.value) for a in call.args] == ["self.received_lines"]
        return call.func.attr.value == "join" and joined and code == "self._emptystring"


def unique(items: Iterable[str]) -> List[str]:
    return list(dict.fromkeys(items))


def mechanism_problems(auth: cst.FunctionDef) -> List[str]:
    """The mechanisms ``smtp_AUTH`` compares with: PLAIN, and none aiosmtpd would lack."""
    found: Set[str] = set()

    class Literals(cst.CSTVisitor):
        def visit_Comparison(self, node: cst.Comparison) -> None:
            for part in [node.left, *(c.comparator for c in node.comparisons)]:
                for literal in literals(part):
                    if MECHANISM.match(literal):
                        found.add(literal)

    auth.body.visit(Literals())
    other = sorted(found - MECHANISMS - {"LOGIN"})
    if other:
        return [
            f"smtp_AUTH: it implements {', '.join(other)}, which aiosmtpd does not have "
            "built in (write an auth_<MECHANISM> method on an aiosmtpd.smtp.SMTP subclass)"
        ]
    if "LOGIN" in found:
        return ["smtp_AUTH: it implements LOGIN, and the codemod converts only PLAIN exchanges"]
    if "PLAIN" not in found:
        return ["smtp_AUTH: it never compares the mechanism with 'PLAIN'"]
    return []


def literals(node: cst.BaseExpression) -> List[str]:
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return [s for e in node.elements for s in literals(e.value)]
    value = string(node)
    return [value] if value is not None else []


def terminator_problem(function: cst.FunctionDef, names: LegacyNames) -> Optional[str]:
    """``if self.smtp_state == self.STATE: ...; return`` blocks, then the base call."""
    body = [s for s in block_body(function.body) if not is_docstring(s)]
    if not body or not is_base_terminator(body[-1], names):
        return "it does not end with the base found_terminator()"
    for stmt in body[:-1]:
        if not isinstance(stmt, cst.If) or stmt.orelse is not None:
            return "it does more than handle custom states before the base call"
        test = stmt.test
        if not (
            isinstance(test, cst.Comparison)
            and dotted_name(test.left) == "self.smtp_state"
            and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Equal)
        ):
            return "it tests something other than self.smtp_state == <state>"
        block = list(stmt.body.body) if isinstance(stmt.body, cst.IndentedBlock) else []
        last = small(block[-1]) if block else None
        if not (isinstance(last, cst.Return) and last.value is None):
            return "a custom state does not end with return"
        if dotted_name(test.comparisons[0].comparator) == "self.COMMAND":
            return "it handles the COMMAND state itself"
    return None


def is_base_terminator(stmt: cst.CSTNode, names: LegacyNames) -> bool:
    expr = small(stmt)
    if not (isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)):
        return False
    call = expr.value
    if not isinstance(call.func, cst.Attribute) or call.func.attr.value != "found_terminator":
        return False
    owner = call.func.value
    if isinstance(owner, cst.Call) and dotted_name(owner.func) == "super":
        return not call.args and not owner.args
    args = [dotted_name(a.value) for a in call.args]
    return names.legacy_name(owner) == "smtpd.SMTPChannel" and args == ["self"]


def advertises_auth(function: cst.FunctionDef) -> bool:
    """smtpd's own smtp_EHLO with ``self.push("250-AUTH PLAIN")`` right before ``250 HELP``."""
    body = list(block_body(function.body))
    for index, stmt in enumerate(body[:-1]):
        reply = push_of(stmt)
        if reply is not None and reply.split() == ["250-AUTH", "PLAIN"]:
            if push_of(body[index + 1]) != "250 HELP":
                return False
            rest = function.body.with_changes(body=body[:index] + body[index + 1 :])
            code = cst.Module(body=[function.with_changes(body=rest, leading_lines=[])]).code
            return same_code(code, STDLIB_EHLO)
    return False


def same_code(one: str, other: str) -> bool:
    try:
        return ast.dump(ast.parse(one)) == ast.dump(ast.parse(other))
    except SyntaxError:
        return False


# Verbs a channel refused (530) until AUTH while MAIL went on: aiosmtpd's auth_required
# refuses MAIL (and HELP, VRFY, RCPT, DATA: aiosmtpd 1.4's check_auth_needed) already.
GATED_LATER = {
    verb: f"{verb} refuses {verb[5:]} with 530 until AUTH while MAIL goes on: aiosmtpd's "
    "auth_required=True would refuse MAIL already, so clients would see the 530 earlier "
    f"(by hand: an authenticator, and an {verb} override on an aiosmtpd.smtp.SMTP subclass "
    "answering 530 while not self.session.authenticated)"
    for verb in ("smtp_RCPT", "smtp_DATA")
}


def gates_verb(function: cst.FunctionDef, verb: str, names: LegacyNames) -> bool:
    """``if <test>: self.push("530 ..."); return`` then the base ``verb``: a gate."""
    if not plain_signature(function, ("self", "arg")):
        return False
    body = [s for s in block_body(function.body) if not is_docstring(s)]
    if len(body) != 2 or not isinstance(body[0], cst.If) or body[0].orelse is not None:
        return False
    block = list(body[0].body.body) if isinstance(body[0].body, cst.IndentedBlock) else []
    if len(block) != 2 or not (push_of(block[0]) or "").startswith("530"):
        return False
    ret = small(block[1])
    return isinstance(ret, cst.Return) and ret.value is None and is_base_call(body[1], verb, names)


def refuses_before_auth(function: cst.FunctionDef, flag: str, names: LegacyNames) -> bool:
    """``if not self.FLAG: self.push("530 ..."); return`` then ``super().smtp_MAIL(arg)``."""
    if not plain_signature(function, ("self", "arg")):
        return False
    body = [s for s in block_body(function.body) if not is_docstring(s)]
    if len(body) != 2 or not isinstance(body[0], cst.If) or body[0].orelse is not None:
        return False
    test = body[0].test
    if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
        return False
    if dotted_name(test.expression) != f"self.{flag}":
        return False
    block = list(body[0].body.body) if isinstance(body[0].body, cst.IndentedBlock) else []
    if len(block) != 2 or not (push_of(block[0]) or "").startswith("530"):
        return False
    ret = small(block[1])
    if not (isinstance(ret, cst.Return) and ret.value is None):
        return False
    return is_base_call(body[1], "smtp_MAIL", names)


def is_base_call(stmt: cst.CSTNode, method: str, names: LegacyNames) -> bool:
    """``super().M(arg)``, ``super(C, self).M(arg)`` or ``smtpd.SMTPChannel.M(self, arg)``."""
    expr = small(stmt)
    if not (isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)):
        return False
    call = expr.value
    if not isinstance(call.func, cst.Attribute) or call.func.attr.value != method:
        return False
    args = [dotted_name(a.value) if not a.star and not a.keyword else None for a in call.args]
    owner = call.func.value
    if isinstance(owner, cst.Call) and dotted_name(owner.func) == "super":
        return args == ["arg"]
    return names.legacy_name(owner) == "smtpd.SMTPChannel" and args == ["self", "arg"]

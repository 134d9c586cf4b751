"""Read through an ``__init__`` that forwards its arguments to ``smtpd.SMTPServer.__init__``.

``def __init__(self, *args, **kwargs): super().__init__(*args, **kwargs)``, the gist's
``def __init__(*args, **kwargs): smtpd.SMTPServer.__init__(*args, **kwargs)`` (self
inside ``args``) and ``def __init__(self, config, localaddr, *args, decode_data=False)``
passing some parameters on by name: what smtpd received is known at each instance, by
binding the instance's arguments to ``__init__``'s signature and following them into
the base call. That is all done statically, so it is done only where every value the
base call passes is a parameter passed on unchanged, a literal, or a star-argument.

A service reading its own settings out of ``**kwargs`` first (``self.session =
kwargs.pop("session")``, ``del kwargs["logger"]``) passes smtpd the rest, and one setting
smtpd's options first (``kwargs.setdefault("decode_data", True)``, the same spelled
``if "decode_data" not in kwargs: kwargs["decode_data"] = True``, ``kwargs["map"] =
None``) passes them too: top-level statements before the base call that remove a key or
set one to a literal are replayed at each instance. Any other change to that dict
(``update()``, a computed value, handing it to a call) is not followed, and the base call
keeps its blocker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import block_body

# smtpd.SMTPServer(localaddr, remoteaddr, data_size_limit, map, enable_SMTPUTF8, decode_data)
SERVER_PARAMS = (
    "localaddr",
    "remoteaddr",
    "data_size_limit",
    "map",
    "enable_SMTPUTF8",
    "decode_data",
)
Bound = Dict[str, cst.BaseExpression]
Change = Tuple[str, str, Optional[cst.BaseExpression]]  # key, "pop"|"setdefault"|"set", value


def is_literal(node: cst.BaseExpression) -> bool:
    """A value that reads the same anywhere: a number, a string, True/False/None, a tuple."""
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, cst.Tuple):
        return all(is_literal(e.value) for e in node.elements if isinstance(e, cst.Element))
    return isinstance(node, (cst.Integer, cst.SimpleString))


@dataclass
class Forwarding:
    """How an ``__init__`` hands the arguments of its instances on to smtpd.SMTPServer."""

    init: cst.FunctionDef
    base_args: Sequence[cst.Arg]  # the base call's arguments, without an explicit self
    self_in_star: bool  # ``def __init__(*args, **kwargs)``: self is args[0]
    # what top-level statements before it do to **kwargs: (key, "pop"|"setdefault"|"set", value)
    changes: List[Change] = field(default_factory=list)

    @classmethod
    def of(
        cls, init: cst.FunctionDef, base_args: Sequence[cst.Arg], explicit_base: bool
    ) -> Optional[Forwarding]:
        """The forwarding, or None when the base call passes what cannot be followed."""
        params = init.params
        if params.posonly_params:
            return None
        self_in_star = not params.params
        if self_in_star and not explicit_base:
            return None  # super() needs a self
        if self_in_star:
            star = params.star_arg
            if not (isinstance(star, cst.Param) and base_args and base_args[0].star == "*"):
                return None
        forwarding = cls(init, base_args, self_in_star)
        if not forwarding.follows_parameters():
            return None
        changes = forwarding.keyword_changes()
        if changes is None:
            return None
        forwarding.changes = changes
        return forwarding

    @property
    def params(self) -> List[cst.Param]:
        """The named parameters after self, in order."""
        every = list(self.init.params.params)
        return every if self.self_in_star else every[1:]

    @property
    def star(self) -> Optional[str]:
        star = self.init.params.star_arg
        return star.name.value if isinstance(star, cst.Param) else None

    @property
    def star_kwarg(self) -> Optional[str]:
        star = self.init.params.star_kwarg
        return star.name.value if star is not None else None

    @property
    def named(self) -> Dict[str, cst.Param]:
        return {p.name.value: p for p in [*self.params, *self.init.params.kwonly_params]}

    def follows_parameters(self) -> bool:
        """Every base argument is a parameter passed on unchanged, a literal, or a star."""
        reassigned = assigned_names(self.init)
        if {self.star, self.star_kwarg} & reassigned:
            return False  # ``args = args[1:]``: no longer what the instance passed
        for arg in self.base_args:
            value = arg.value
            if arg.star == "*":
                ok = isinstance(value, cst.Name) and value.value == self.star
            elif arg.star == "**":
                ok = isinstance(value, cst.Name) and value.value == self.star_kwarg
            elif isinstance(value, cst.Name) and value.value in self.named:
                ok = value.value not in reassigned
            else:
                ok = is_literal(value)
            if not ok:
                return False
        return bool(self.star or self.star_kwarg or self.passes_parameters())

    def keyword_changes(self) -> Optional[List[Change]]:
        """What ``__init__`` does to ``**kwargs`` before the base call; None if it changes
        it in a way that is not followed."""
        name = self.star_kwarg
        if name is None or not any(a.star == "**" for a in self.base_args):
            return []
        body = block_body(self.init.body)
        base_at = next((i for i, s in enumerate(body) if holds_any(s, self.base_args)), None)
        if base_at is None:
            return None
        changes: List[Change] = []
        allowed = {id(a.value) for a in self.base_args if a.star == "**"}
        for statement in body[:base_at]:
            for found in [keyword_change(statement, name), *guarded_changes(statement, name)]:
                if found is not None:
                    changes.append(found[0])
                    allowed.add(id(found[1]))
        for statement in body[base_at + 1 :]:  # after the call: smtpd has had its arguments
            allowed |= {id(n) for n in popped_dicts(statement, name)}
        allowed |= {id(n) for n in read_dicts(self.init.body, name)}
        uses = names_read(self.init.body, name)
        return changes if all(id(n) in allowed for n in uses) else None

    def passes_parameters(self) -> bool:
        """True when some parameter reaches the base call (a computed decode_data, say)."""
        named = self.named
        return any(isinstance(a.value, cst.Name) and a.value.value in named for a in self.base_args)

    def bind(self, call_args: Sequence[cst.Arg]) -> Optional[Bound]:
        """What smtpd.SMTPServer received from the instance ``Server(call_args)``."""
        bound = self.bind_to_init(call_args)
        if bound is None:
            return None
        given, extra_positional, extra_keywords = bound
        for key, change, value in self.changes:  # as __init__ changed the dict
            if change == "pop":
                extra_keywords.pop(key, None)
            elif value is not None and (change == "set" or key not in extra_keywords):
                extra_keywords[key] = value
        server: Bound = {}
        positional: List[cst.BaseExpression] = []
        for arg in self.base_args:
            if arg.star == "*":
                positional += extra_positional  # with self in args, it came first: not here
            elif arg.star == "**":
                if not self.add_keywords(server, extra_keywords):
                    return None
            else:
                value = self.resolve(arg.value, given)
                if value is None:
                    return None  # a parameter left at a default that is not a literal
                if arg.keyword is None:
                    positional.append(value)
                elif not self.add_keywords(server, {arg.keyword.value: value}):
                    return None
        if len(positional) > len(SERVER_PARAMS):
            return None
        for name, value in zip(SERVER_PARAMS, positional):
            if name in server:
                return None
            server[name] = value
        return server if "localaddr" in server else None

    def bind_to_init(
        self, call_args: Sequence[cst.Arg]
    ) -> Optional[Tuple[Bound, List[cst.BaseExpression], Bound]]:
        """The instance's arguments by __init__ parameter, plus what the star parameters took."""
        given: Bound = {}
        extra_positional: List[cst.BaseExpression] = []
        extra_keywords: Bound = {}
        names = [p.name.value for p in self.params]
        for position, arg in enumerate(a for a in call_args if a.keyword is None):
            if arg.star:
                return None
            if position < len(names):
                given[names[position]] = arg.value
            elif self.star is not None:
                extra_positional.append(arg.value)
            else:
                return None
        for arg in call_args:
            if arg.keyword is None:
                continue
            name = arg.keyword.value
            if name in self.named and name not in given:
                given[name] = arg.value
            elif self.star_kwarg is not None and name not in self.named:
                extra_keywords[name] = arg.value
            else:
                return None
        return given, extra_positional, extra_keywords

    def resolve(self, value: cst.BaseExpression, given: Bound) -> Optional[cst.BaseExpression]:
        """A base argument's value at the instance: what was passed, a literal default."""
        if not isinstance(value, cst.Name) or value.value not in self.named:
            return value  # a literal (follows_parameters checked)
        if value.value in given:
            return given[value.value]
        default = self.named[value.value].default
        return default if default is not None and is_literal(default) else None

    @staticmethod
    def add_keywords(server: Bound, keywords: Bound) -> bool:
        for name, value in keywords.items():
            if name not in SERVER_PARAMS or name in server:
                return False
            server[name] = value
        return True


def assigned_names(function: cst.FunctionDef) -> Set[str]:
    """Names a function assigns to (a parameter reassigned is no longer passed on unchanged)."""
    m = cst.matchers
    found = m.findall(function.body, m.AssignTarget(target=m.Name()) | m.AugAssign(m.Name()))
    return {
        node.target.value
        for node in found
        if isinstance(node, (cst.AssignTarget, cst.AugAssign)) and isinstance(node.target, cst.Name)
    }


m = cst.matchers
# Methods of a dict that read it (``kwargs.get("ttl", 60)``): they change nothing smtpd gets.
DICT_READS = frozenset("get keys items values copy".split())


def holds_any(statement: cst.CSTNode, args: Sequence[cst.Arg]) -> bool:
    ids = {id(a) for a in args}
    return any(id(n) in ids for n in m.findall(statement, m.Arg()))


def key_of(node: cst.BaseExpression) -> Optional[str]:
    return node.evaluated_value if isinstance(node, cst.SimpleString) else None  # type: ignore[return-value]


def keyword_change(statement: cst.BaseStatement, name: str) -> Optional[Tuple[Change, cst.Name]]:
    """``kwargs.pop("k"[, default])`` (alone or assigned), ``del kwargs["k"]``,
    ``kwargs.setdefault("k", <literal>)`` or ``kwargs["k"] = <literal>``: the change, and
    ``kwargs`` there."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Del) and isinstance(small.target, cst.Subscript):
        return subscript_change(small.target, name, "pop", None)
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Subscript) and is_literal(small.value):
            return subscript_change(target, name, "set", small.value)
    value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
        return None
    owner, args, method = value.func.value, value.args, value.func.attr.value
    if (
        not isinstance(owner, cst.Name)
        or owner.value != name
        or any(a.keyword or a.star for a in args)
    ):
        return None
    key = key_of(args[0].value) if args else None
    if key is not None and method == "pop" and len(args) <= 2:
        return (key, "pop", None), owner
    setting = isinstance(small, cst.Expr) and method == "setdefault" and len(args) == 2
    if key is not None and setting and is_literal(args[1].value):
        return (key, "setdefault", args[1].value), owner
    return None


def guarded_changes(statement: cst.BaseStatement, name: str) -> List[Tuple[Change, cst.Name]]:
    """``if "k" in kwargs:`` (no ``else``) holding pops or ``del`` of that key: the key goes.
    ``if "k" not in kwargs: kwargs["k"] = <literal>``: a ``setdefault`` spelled out."""
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return []
    test = statement.test
    operator = m.In() | m.NotIn()
    guard = m.Comparison(
        left=m.SimpleString(),
        comparisons=[m.ComparisonTarget(operator=operator, comparator=m.Name(name))],
    )
    if not m.matches(test, guard):
        return []
    assert isinstance(test, cst.Comparison)
    key = key_of(test.left)
    found = [keyword_change(s, name) for s in block_body(statement.body)]
    if isinstance(test.comparisons[0].operator, cst.In):
        return [f for f in found if f is not None and f[0][:2] == (key, "pop")]
    if len(found) != 1 or found[0] is None or found[0][0][:2] != (key, "set"):
        return []  # only the one assignment the guard makes a default
    (found_key, _, value), owner = found[0]
    return [((found_key, "setdefault", value), owner)]


def subscript_change(
    target: cst.Subscript, name: str, change: str, value: Optional[cst.BaseExpression]
) -> Optional[Tuple[Change, cst.Name]]:
    """``kwargs["k"]`` as the target of ``del`` or of an assignment."""
    index = target.slice[0].slice if len(target.slice) == 1 else None
    owner = target.value
    if not isinstance(owner, cst.Name) or owner.value != name or not isinstance(index, cst.Index):
        return None
    key = key_of(index.value)
    return ((key, change, value), owner) if key is not None else None


def popped_dicts(node: cst.CSTNode, name: str) -> List[cst.CSTNode]:
    """``kwargs`` in ``kwargs.pop(...)`` calls."""
    pops = m.findall(node, m.Call(func=m.Attribute(value=m.Name(name), attr=m.Name("pop"))))
    return [
        p.func.value for p in pops if isinstance(p, cst.Call) and isinstance(p.func, cst.Attribute)
    ]


def read_dicts(node: cst.CSTNode, name: str) -> List[cst.CSTNode]:
    """``kwargs`` where it is only read: ``kwargs["k"]``, ``kwargs.get()``, ``"k" in kwargs``,
    ``f(**kwargs)`` (a copy). Not as the target of an assignment or a ``del``."""
    written = m.findall(
        node,
        m.AssignTarget(target=m.Subscript(value=m.Name(name)))
        | m.AugAssign(target=m.Subscript(value=m.Name(name)))
        | m.Del(target=m.Subscript(value=m.Name(name))),
    )
    stored = {
        id(w.target) for w in written if isinstance(w, (cst.AssignTarget, cst.AugAssign, cst.Del))
    }
    found: List[cst.CSTNode] = []
    for sub in m.findall(node, m.Subscript(value=m.Name(name))):
        if isinstance(sub, cst.Subscript) and id(sub) not in stored:
            found.append(sub.value)
    methods = m.Attribute(value=m.Name(name), attr=m.OneOf(*(m.Name(r) for r in DICT_READS)))
    for call in m.findall(node, m.Call(func=methods)):
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
            found.append(call.func.value)
    tests = m.ComparisonTarget(operator=m.In() | m.NotIn(), comparator=m.Name(name))
    found += [t.comparator for t in m.findall(node, tests) if isinstance(t, cst.ComparisonTarget)]
    found += [
        a.value
        for a in m.findall(node, m.Arg(star="**", value=m.Name(name)))
        if isinstance(a, cst.Arg)
    ]
    return found


def names_read(node: cst.CSTNode, name: str) -> List[cst.CSTNode]:
    """``name`` as a variable: not a keyword (``kwargs={...}``) or an attribute (``x.kwargs``)."""
    found = m.findall(node, m.Name(name))
    labels = m.findall(node, m.Arg(keyword=m.Name(name)) | m.Attribute(attr=m.Name(name)))
    skipped = {
        id(label.keyword if isinstance(label, cst.Arg) else label.attr)
        for label in labels
        if isinstance(label, (cst.Arg, cst.Attribute))
    }
    return [n for n in found if id(n) not in skipped]

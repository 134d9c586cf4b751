"""Python-version checks: ``if sys.version_info >= (3, 5):`` decided on every target Python.

Programs written for several Pythons chose smtpd's arguments by version (decode_data came in
3.5). Where a check has one value on every Python the converted code runs on (3.8 onwards,
which covers every Python legacy smtpd ran it on since) the branch taken is known. Two users:
a keyword dict filled under such a check (_keyword_dict), and a base ``__init__`` call inside
one, which converts, the ``if`` becoming the branch taken (rule init). Only comparisons of
``sys.version_info`` (whole, indexed, sliced or by field) with integers and tuples of them,
joined by ``and``/``or``/``not``, are read; any other test leaves the check undecided.
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import libcst as cst
import libcst.matchers as m

from smtpd_compat.codemod._build import block_body, code_of

Version = Tuple[int, ...]
Reader = Callable[[Version], Any]  # an expression's value on one Python

COMPARE: Dict[type, Callable[[Any, Any], Any]] = {
    cst.GreaterThanEqual: operator.ge,
    cst.GreaterThan: operator.gt,
    cst.LessThanEqual: operator.le,
    cst.LessThan: operator.lt,
    cst.Equal: operator.eq,
    cst.NotEqual: operator.ne,
}
# Pythons the legacy program and the converted one run on: 3.8 onwards (open-ended, so a
# check that a later Python would answer otherwise, ``< (3, 14)``, stays undecided)
PYTHONS: List[Version] = [(3, minor, micro) for minor in range(8, 40) for micro in (0, 20)]
FIELDS = {"major": 0, "minor": 1, "micro": 2}
VERSION_INFO = m.Attribute(value=m.Name("sys"), attr=m.Name("version_info"))


def decided(test: cst.BaseExpression) -> Optional[bool]:
    """The value of a version check on every target Python, when it is the same on all."""
    reader = _reader(test)
    if reader is None or not any(_reads_version(n) for n in _walk(test)):
        return None
    try:
        values = {bool(reader(version)) for version in PYTHONS}
    except TypeError:  # an int compared with a tuple by order
        return None
    return values.pop() if len(values) == 1 else None


def always_true(test: cst.BaseExpression) -> bool:
    """A version check true on every Python from 3.8 on."""
    return decided(test) is True


def _reader(node: cst.BaseExpression) -> Optional[Reader]:
    """How ``node``'s value follows from the running Python's version; None: not a check."""
    if isinstance(node, cst.Comparison):
        return _comparison(node)
    if isinstance(node, cst.BooleanOperation):
        left, right = _reader(node.left), _reader(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.operator, cst.And):
            return lambda v: left(v) and right(v)
        return lambda v: left(v) or right(v)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        inner = _reader(node.expression)
        return None if inner is None else (lambda v: not inner(v))
    return _version_part(node) or _literal(node)


def _comparison(node: cst.Comparison) -> Optional[Reader]:
    """``a < b <= c``: every link, as Python chains them."""
    operands = [_version_part(node.left) or _literal(node.left)]
    compares = []
    for target in node.comparisons:
        operands.append(_version_part(target.comparator) or _literal(target.comparator))
        compares.append(COMPARE.get(type(target.operator)))
    if any(o is None for o in operands) or any(c is None for c in compares):
        return None
    readers = [o for o in operands if o is not None]
    links = [c for c in compares if c is not None]
    return lambda v: all(c(readers[i](v), readers[i + 1](v)) for i, c in enumerate(links))


def _literal(node: cst.BaseExpression) -> Optional[Reader]:
    """An integer or a tuple of integers."""
    try:
        value = ast.literal_eval(code_of(node).strip())
    except (ValueError, SyntaxError):
        return None
    items = value if isinstance(value, tuple) else (value,)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        return None
    return lambda v: value


def _version_part(node: cst.BaseExpression) -> Optional[Reader]:
    """How ``node`` reads ``sys.version_info``: whole, a field, an index or a leading slice."""
    if m.matches(node, VERSION_INFO):
        return lambda v: v
    if isinstance(node, cst.Attribute) and m.matches(node.value, VERSION_INFO):
        field = FIELDS.get(node.attr.value)
        return None if field is None else (lambda v: v[field])
    if not (isinstance(node, cst.Subscript) and m.matches(node.value, VERSION_INFO)):
        return None
    part = node.slice[0].slice if len(node.slice) == 1 else None
    if isinstance(part, cst.Index):
        index = _small_int(part.value, 2)
        return None if index is None else (lambda v: v[index])
    if isinstance(part, cst.Slice) and part.step is None:
        lower = 0 if part.lower is None else _small_int(part.lower, 3)
        upper = 3 if part.upper is None else _small_int(part.upper, 3)
        if lower is None or upper is None or upper < 1:
            return None
        return lambda v: v[lower:upper]
    return None


def _small_int(node: cst.BaseExpression, most: int) -> Optional[int]:
    """An index (at most 2) or a slice's bound (at most 3) within (major, minor, micro)."""
    if isinstance(node, cst.Integer) and 0 <= int(node.evaluated_value) <= most:
        return int(node.evaluated_value)
    return None


def _walk(node: cst.CSTNode) -> List[cst.CSTNode]:
    return [node, *(n for child in node.children for n in _walk(child))]


def _reads_version(node: cst.CSTNode) -> bool:
    return m.matches(node, VERSION_INFO)


def live_branch(node: cst.If) -> Optional[Sequence[cst.BaseStatement]]:
    """The statements a decided version check runs (``elif`` followed); None: undecided."""
    value = decided(node.test)
    if value is None:
        return None
    if value:
        return block_body(node.body)
    if isinstance(node.orelse, cst.If):
        return live_branch(node.orelse)
    if isinstance(node.orelse, cst.Else):
        return block_body(node.orelse.body)
    return []


def version_branches(
    body: Sequence[cst.BaseStatement],
) -> Tuple[List[cst.BaseStatement], List[cst.If]]:
    """The top-level statements of ``body`` with each decided version check's live branch in
    its place, and those checks. A check is taken only where a branch calls a base
    ``__init__`` (the only place its flattening is needed)."""
    statements: List[cst.BaseStatement] = []
    flattened: List[cst.If] = []
    for statement in body:
        live = live_branch(statement) if isinstance(statement, cst.If) else None
        if live is None or not calls_init(statement):
            statements.append(statement)
            continue
        statements.extend(live)
        assert isinstance(statement, cst.If)
        flattened.append(statement)
    return statements, flattened


def calls_init(node: cst.CSTNode) -> bool:
    """Some ``<...>.__init__(...)`` call inside ``node``."""
    return bool(m.findall(node, m.Call(func=m.Attribute(attr=m.Name("__init__")))))


def dead_branches(node: cst.If) -> List[cst.CSTNode]:
    """The branches of a decided version check no target Python runs: they are dropped."""
    value = decided(node.test)
    if value:
        return [node.orelse] if node.orelse is not None else []
    if isinstance(node.orelse, cst.If):
        return [node.body, *dead_branches(node.orelse)]
    return [node.body]

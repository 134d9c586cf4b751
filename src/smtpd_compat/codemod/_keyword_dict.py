"""Read a local keyword dict that ``__init__`` builds for ``smtpd.SMTPServer.__init__``.

Test servers written for Python 2 and 3 alike pass ``decode_data`` only where smtpd knows it::

    kwargs = {}
    if sys.version_info >= (3, 5):
        kwargs["decode_data"] = False
    smtpd.SMTPServer.__init__(self, localaddr, remoteaddr, **kwargs)

On every Python the converted code runs on (3.8 and later) such a guard is true, so the call
received exactly the keywords the dict holds. They are spelled out as keyword arguments of the
base call, which is then read like any other. Only a dict created empty or from a literal, set
by ``name["key"] = value`` at the top level or under an always-true version guard before the
call, with values that are literals or parameters never reassigned, and used nowhere else, is
read; anything else keeps the base call's blocker.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence, Set, Tuple

import libcst as cst
import libcst.matchers as m

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._forwarding import (
    assigned_names,
    holds_any,
    is_literal,
    key_of,
    names_read,
)
from smtpd_compat.codemod._versions import always_true

Keywords = Dict[str, cst.BaseExpression]
Touched = Set[int]  # ids of the dict's names that a followed statement accounts for


def spelled_out(init: cst.FunctionDef, args: Sequence[cst.Arg]) -> Sequence[cst.Arg]:
    """``args`` with ``**kwargs`` of a local dict replaced by the keywords it holds at the call;
    ``args`` unchanged where that dict cannot be followed."""
    stars = [a for a in args if a.star == "**"]
    if len(stars) != 1 or not isinstance(stars[0].value, cst.Name):
        return args
    name = stars[0].value.value
    params = {p.name.value for p in [*init.params.params, *init.params.kwonly_params]}
    if name in params or name in _star_names(init):
        return args
    keywords = _held_keywords(init, args, name, params - assigned_names(init))
    explicit = {a.keyword.value for a in args if a.keyword is not None}
    if keywords is None or explicit & set(keywords):
        return args
    kept = [a for a in args if a is not stars[0]]
    default = cst.MaybeSentinel.DEFAULT
    added = [cst.Arg(value=v, keyword=cst.Name(k)) for k, v in keywords.items()]
    return [*(a.with_changes(comma=default) for a in kept), *added]


def _star_names(init: cst.FunctionDef) -> Set[str]:
    stars = [init.params.star_arg, init.params.star_kwarg]
    return {s.name.value for s in stars if isinstance(s, cst.Param)}


def _held_keywords(
    init: cst.FunctionDef, args: Sequence[cst.Arg], name: str, fixed: Set[str]
) -> Optional[Keywords]:
    """The keywords the dict holds at the base call; None if it is not followed there."""
    body = block_body(init.body)
    base_at = next((i for i, s in enumerate(body) if holds_any(s, args)), None)
    if base_at is None:
        return None
    touched: Touched = {id(a.value) for a in args if a.star == "**"}
    keywords: Optional[Keywords] = None
    for statement in body[:base_at]:
        created = _creation(statement, name, fixed, touched)
        if created is not None:
            if keywords is not None:
                return None  # created twice
            keywords = created
            continue
        sets = _settings(statement, name, fixed, touched)
        if sets is None:
            continue
        if keywords is None:
            return None  # set before it was created
        keywords.update(sets)
    if keywords is None or any(id(n) not in touched for n in names_read(init.body, name)):
        return None
    return keywords


def _creation(
    statement: cst.BaseStatement, name: str, fixed: Set[str], touched: Touched
) -> Optional[Keywords]:
    """``name = {}`` / ``{"k": v}`` / ``dict()`` / ``dict(k=v)``: the keywords it starts with."""
    small = _only(statement)
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return None
    target = small.targets[0].target
    if not (isinstance(target, cst.Name) and target.value == name):
        return None
    keywords: Keywords = {}
    value = small.value
    if isinstance(value, cst.Dict):
        for element in value.elements:
            key = key_of(element.key) if isinstance(element, cst.DictElement) else None
            if key is None or not _fixed_value(element.value, fixed):
                return None
            keywords[key] = element.value
    elif m.matches(value, m.Call(func=m.Name("dict"))):
        assert isinstance(value, cst.Call)
        for arg in value.args:
            if arg.keyword is None or arg.star or not _fixed_value(arg.value, fixed):
                return None
            keywords[arg.keyword.value] = arg.value
    else:
        return None
    touched.add(id(target))
    return keywords


def _settings(
    statement: cst.BaseStatement, name: str, fixed: Set[str], touched: Touched
) -> Optional[Keywords]:
    """``name["k"] = v``, alone or all of an always-true version guard's body: what it sets."""
    guarded = isinstance(statement, cst.If) and always_true(statement.test)
    body = block_body(statement.body) if isinstance(statement, cst.If) and guarded else [statement]
    found = [_setting(s, name, fixed) for s in body]
    if not found or any(f is None for f in found):
        return None
    keywords: Keywords = {}
    for key, value, owner in (f for f in found if f is not None):
        keywords[key] = value
        touched.add(id(owner))
    return keywords


def _setting(
    statement: cst.BaseStatement, name: str, fixed: Set[str]
) -> Optional[Tuple[str, cst.BaseExpression, cst.BaseExpression]]:
    """``name["k"] = v``: the key, the value and ``name`` there."""
    small = _only(statement)
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return None
    target = small.targets[0].target
    if not (isinstance(target, cst.Subscript) and m.matches(target.value, m.Name(name))):
        return None
    index = target.slice[0].slice if len(target.slice) == 1 else None
    key = key_of(index.value) if isinstance(index, cst.Index) else None
    if key is None or not _fixed_value(small.value, fixed):
        return None
    return key, small.value, target.value


def _only(statement: cst.BaseStatement) -> Optional[cst.BaseSmallStatement]:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        return statement.body[0]
    return None


def _fixed_value(value: cst.BaseExpression, fixed: Set[str]) -> bool:
    """A literal, or a parameter never reassigned: the same at the dict and at the call."""
    return is_literal(value) or (isinstance(value, cst.Name) and value.value in fixed)

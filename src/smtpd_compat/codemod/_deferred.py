"""A server class that binds later: ``__init__`` does nothing, ``start()`` calls the base.

``def __init__(self): pass`` and ``def start(self): SMTPServer.__init__(self, addr,
None); asyncore.loop()`` (an example server of a well-known smtpd extension): smtpd
bound the socket when start() ran, not when the object was made. The handler does the
same: the base call in that method becomes smtpd's attributes plus a controller bound
there (``self.controller``, ``self.socket``, rule init), and the loop after it starts
that controller (rule startup). Only this shape: ``__init__`` never calls the base and
reads no legacy attribute, exactly one other method calls it, once, at its top level,
and both call their instance by the same name.
"""

from __future__ import annotations

from typing import Callable, List

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._plan import ServerClass

IsBaseInit = Callable[[cst.BaseStatement], bool]
# What the dispatcher has only once its base __init__ ran: __init__ must not read them.
BOUND_LATER = frozenset("socket _localaddr _remoteaddr data_size_limit _decode_data".split())


def deferred_base_init(server: ServerClass, is_base_init: IsBaseInit) -> List[cst.BaseStatement]:
    """The one top-level base call of the method that binds the server later, or []."""
    init = server.init
    if init is None or calls_base_anywhere(init, is_base_init) or reads_bound_state(init):
        return []
    methods = [
        s
        for s in block_body(server.node.body)
        if isinstance(s, cst.FunctionDef) and s is not init and calls_base_anywhere(s, is_base_init)
    ]
    if len(methods) != 1 or not same_self(init, methods[0]):
        return []
    calls = [s for s in block_body(methods[0].body) if is_base_init(s)]
    return calls if len(calls) == 1 and count_base_calls(methods[0], is_base_init) == 1 else []


def calls_base_anywhere(function: cst.FunctionDef, is_base_init: IsBaseInit) -> bool:
    return count_base_calls(function, is_base_init) > 0


def count_base_calls(function: cst.FunctionDef, is_base_init: IsBaseInit) -> int:
    found = cst.matchers.findall(function, cst.matchers.SimpleStatementLine())
    return sum(1 for s in found if isinstance(s, cst.SimpleStatementLine) and is_base_init(s))


def reads_bound_state(init: cst.FunctionDef) -> bool:
    """``__init__`` reads what only the base call sets (it failed there under smtpd too)."""
    m = cst.matchers
    found = m.findall(init, m.Attribute(attr=m.Name()))
    return any(isinstance(a, cst.Attribute) and a.attr.value in BOUND_LATER for a in found)


def same_self(init: cst.FunctionDef, method: cst.FunctionDef) -> bool:
    """Both methods name their instance alike (the controller is bound under that name)."""
    first = init.params.params[:1]
    other = method.params.params[:1]
    return bool(first) and bool(other) and first[0].name.value == other[0].name.value

"""A server class's own ``close()``: it runs its code, then closes the base server.

``def close(self): log(...); smtpd.SMTPServer.close(self)`` (or ``super().close()``)
converts: the handler keeps its ``close()``, the base call becomes
``self.controller.stop()`` and the start-up hands the handler its controller, so
the program's ``server.close()`` (and ``asyncore.close_all()``) still run the
override's code where smtpd ran it (rule handler). Only this shape: a close() that
calls the base exactly once, at its top level or in a top-level ``finally``, and
uses nothing else of smtpd or asyncore.
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import LegacyNames, dotted_name

# The bases whose close() closed the listening socket.
CLOSING_BASES = (
    "smtpd.SMTPServer",
    "smtpd.DebuggingServer",
    "smtpd.PureProxy",
    "asyncore.dispatcher",
)
CONTROLLER_ATTRIBUTE = "controller"  # the handler's controller, which its close() stops


def base_close(close: cst.FunctionDef, names: LegacyNames) -> Optional[cst.SimpleStatementLine]:
    """The statement of ``close()`` that closes the base server, when the override converts."""
    params = close.params
    star = isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None
    if len(params.params) != 1 or star or params.kwonly_params or params.posonly_params:
        return None
    me = params.params[0].name.value
    found = [
        s
        for s in reachable_statements(close)
        if isinstance(s, cst.SimpleStatementLine) and is_base_close(s, me, names)
    ]
    if len(found) != 1 or uses_legacy_besides(close, found[0], names):
        return None
    return found[0]


def reachable_statements(close: cst.FunctionDef) -> Iterator[cst.BaseStatement]:
    """The statements that always run: the top level, and top-level ``finally`` blocks."""
    for statement in block_body(close.body):
        yield statement
        if isinstance(statement, cst.Try) and statement.finalbody is not None:
            yield from block_body(statement.finalbody.body)


def is_base_close(statement: cst.SimpleStatementLine, me: str, names: LegacyNames) -> bool:
    """``Base.close(self)``, ``super().close()`` or ``super(Class, self).close()``."""
    if len(statement.body) != 1:
        return False
    small = statement.body[0]
    call = small.value if isinstance(small, cst.Expr) else None
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return False
    if call.func.attr.value != "close":
        return False
    owner = call.func.value
    if isinstance(owner, cst.Call):
        return dotted_name(owner.func) == "super" and not call.args
    if names.legacy_name(owner) not in CLOSING_BASES or len(call.args) != 1:
        return False
    only = call.args[0]
    return not only.star and only.keyword is None and dotted_name(only.value) == me


def uses_legacy_besides(
    close: cst.FunctionDef, statement: cst.SimpleStatementLine, names: LegacyNames
) -> bool:
    """True when close() names smtpd/asyncore elsewhere (the channels of asyncore's map)."""
    return legacy_names_in(close.body, names) != legacy_names_in(statement, names)


def legacy_names_in(node: cst.CSTNode, names: LegacyNames) -> int:
    """How many Names in ``node`` are bound to the legacy modules (``smtpd``, ``asyncore``)."""
    found = cst.matchers.findall(node, cst.matchers.Name())
    return sum(1 for n in found if isinstance(n, cst.Name) and names.legacy_name(n) is not None)

"""A server class's own ``listen()``: code smtpd's ``__init__`` ran once it had bound.

smtpd.SMTPServer.__init__ bound its socket, then called ``self.listen(5)``; a subclass
overrode ``listen`` to say the server is ready and called the base at its end. A handler
has no socket: the override keeps its own code without the base call, and the start-up
calls it right after a BoundController has bound, where smtpd's ``__init__`` did (rule
handler). Only this shape: ``listen(self, num)`` ending with the base call, nothing else
of smtpd or asyncore in it, and an ``__init__`` (if any) with nothing after its base call
(that code ran after ``listen``, and would now run before it).
"""

from __future__ import annotations

from typing import Optional, Set

import libcst as cst

from smtpd_compat.codemod._build import block_body, statement
from smtpd_compat.codemod._close import CLOSING_BASES, legacy_names_in
from smtpd_compat.codemod._names import LegacyNames, dotted_name
from smtpd_compat.codemod._plan import ServerClass

BACKLOG = 5  # smtpd.SMTPServer.__init__: ``self.listen(5)``


def kept_listen(
    server: ServerClass, read: Set[str], defined: Set[str], names: LegacyNames
) -> Set[str]:
    """``{"listen"}`` when the class's own listen() converts (its base call noted on it)."""
    if "listen" not in defined or "listen" in read:
        return set()
    server.base_listen = base_listen(server, names)
    return {"listen"} if server.base_listen is not None else set()


def listen_method(server: ServerClass) -> Optional[cst.FunctionDef]:
    return next(
        (
            s
            for s in block_body(server.node.body)
            if isinstance(s, cst.FunctionDef) and s.name.value == "listen"
        ),
        None,
    )


def base_listen(server: ServerClass, names: LegacyNames) -> Optional[cst.SimpleStatementLine]:
    """The last statement of the class's ``listen(self, num)``, when it calls the base's
    ``listen(num)`` and the rest of the method is the class's own code."""
    listen = listen_method(server)
    if listen is None or listen.asynchronous is not None or listen.decorators:
        return None
    params = listen.params
    star = isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None
    if len(params.params) != 2 or star or params.kwonly_params or params.posonly_params:
        return None
    me, num = (p.name.value for p in params.params)
    body = block_body(listen.body)
    last = body[-1] if body else None
    if not isinstance(last, cst.SimpleStatementLine) or not is_base_listen(last, me, num, names):
        return None
    if legacy_names_in(listen.body, names) != legacy_names_in(last, names):
        return None
    return last


def is_base_listen(
    statement: cst.SimpleStatementLine, me: str, num: str, names: LegacyNames
) -> bool:
    """``[return] super().listen(num)``, ``super(Class, self).listen(num)`` or
    ``smtpd.SMTPServer.listen(self, num)``."""
    if len(statement.body) != 1:
        return False
    small = statement.body[0]
    call = small.value if isinstance(small, (cst.Expr, cst.Return)) else None
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return False
    if call.func.attr.value != "listen" or any(a.star or a.keyword for a in call.args):
        return False
    given = [dotted_name(a.value) for a in call.args]
    owner = call.func.value
    if isinstance(owner, cst.Call):
        return dotted_name(owner.func) == "super" and given == [num]
    return names.legacy_name(owner) in CLOSING_BASES and given == [me, num]


def why_listen_stays(server: ServerClass, init_ends_with_base_call: bool) -> Optional[str]:
    """Why the start-up cannot call the override where smtpd's ``__init__`` did."""
    if server.thread is not None:
        return "its Controller binds on its own thread"
    if not init_ends_with_base_call:
        return "its __init__ goes on after the base call, which ran listen() first"
    return None


def listen_call(name: str) -> cst.BaseStatement:
    return statement(
        f"{name}.listen({BACKLOG})  # smtpd.SMTPServer.__init__ called it once bound\n"
    )

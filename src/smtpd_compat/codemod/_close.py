"""A server class's own ``close()``: it runs its code, then closes the base server.

``def close(self): log(...); smtpd.SMTPServer.close(self)`` (or ``super().close()``)
converts: the handler keeps its ``close()``, the base call becomes
``self.controller.stop()`` and the start-up hands the handler its controller, so
the program's ``server.close()`` (and ``asyncore.close_all()``) still run the
override's code where smtpd ran it (rule handler). Only this shape: a close() that
calls the base exactly once, at its top level or in a top-level ``finally``, and
uses nothing else of smtpd or asyncore.

A class that calls smtpd's ``self.close()`` (a ``stop()`` or ``shutdown()`` method of a
fixture) without overriding it gets ``CLOSE_METHOD`` the same way: the handler's own
``close()`` stops the controller the start-up hands it.
"""

from __future__ import annotations

from typing import Iterator, List, Optional, Set

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import LegacyNames, dotted_name
from smtpd_compat.codemod._plan import ServerClass

# The bases whose close() closed the listening socket.
CLOSING_BASES = (
    "smtpd.SMTPServer",
    "smtpd.DebuggingServer",
    "smtpd.PureProxy",
    "asyncore.dispatcher",
)
CONTROLLER_ATTRIBUTE = "controller"  # the handler's controller, which its close() stops
CLOSE_METHOD = f"""\
def close(self):
    # smtpd's close() closed the listening socket: stopping the controller does.
    self.{CONTROLLER_ATTRIBUTE}.stop()
"""


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


def closes_during_a_message(node: cst.ClassDef) -> bool:
    """``self.close()`` reached from process_message (directly or through its methods).

    smtpd's close() there shut the listening socket and let the session go on; a
    controller's stop() ends every session, so such a class is reported instead.
    """
    return any(reads_self(method, "close") for method in reached_from(node, "process_message"))


def reached_from(node: cst.ClassDef, start: str) -> List[cst.FunctionDef]:
    """The method ``start`` and the class's methods it calls, and theirs."""
    methods = {s.name.value: s for s in block_body(node.body) if isinstance(s, cst.FunctionDef)}
    reached: Set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in methods and name not in reached:
            reached.add(name)
            todo += [other for other in methods if reads_self(methods[name], other)]
    return [methods[name] for name in reached]


def reads_self(method: cst.FunctionDef, name: str) -> bool:
    """True when ``method`` reads ``<its self>.name``."""
    params = method.params.params
    if not params:
        return False
    me = params[0].name.value
    m = cst.matchers
    return bool(m.findall(method.body, m.Attribute(value=m.Name(me), attr=m.Name(name))))


def reads_socket_while_made(node: cst.ClassDef) -> bool:
    """``self.socket`` read by ``__init__`` (or a method it calls): before the controller is.

    Elsewhere in the class the handler has its controller's bound socket under that name
    (the start-up sets it right after making the controller), as smtpd's server had its own.
    """
    return any(reads_self(method, "socket") for method in reached_from(node, "__init__"))


def kept_dispatcher_names(
    server: ServerClass, read: Set[str], defined: Set[str], names: LegacyNames
) -> Set[str]:
    """The dispatcher names a class uses that its handler keeps: close(), socket, log."""
    kept = set()
    if "close" in read | defined and attach_close(server, read, defined, names):
        kept.add("close")  # its own close(), kept or made
    if "log" in defined or sets_own(server.node, "log"):
        kept.add("log")  # its own logger (``log = logging.getLogger(...)``): no one else's
    if "socket" in read and not reads_socket_while_made(server.node):
        server.reads_socket = True  # its controller's, set at start-up
        kept.add("socket")
    elif "socket" in read and socket_read_after_base_init(server):
        server.binds_in_init = True  # its __init__ binds its controller where smtpd bound
        kept.add("socket")
    return kept


def attach_close(
    server: ServerClass, read: Set[str], defined: Set[str], names: LegacyNames
) -> bool:
    """Its own close() that ends by closing the base: the handler keeps it; smtpd's
    self.close(): the handler gets one stopping its controller."""
    if server.thread is not None or CONTROLLER_ATTRIBUTE in read | defined:
        return False  # the name the converted close() reaches its controller by
    if "close" not in defined:
        server.closes_by_controller = not closes_during_a_message(server.node)
        if not server.closes_by_controller:
            server.close_why = CLOSED_DURING_A_MESSAGE
        return server.closes_by_controller
    close = next(
        (
            s
            for s in block_body(server.node.body)
            if isinstance(s, cst.FunctionDef) and s.name.value == "close"
        ),
        None,
    )
    server.base_close = base_close(close, names) if close is not None else None
    if close is not None and server.base_close is None:
        server.close_why = why_close_stays(close, names)
    return server.base_close is not None


CLOSED_DURING_A_MESSAGE = (
    "process_message (or a method it calls) closes the server: smtpd then stopped listening, "
    "answered this message and served the open sessions until they ended; a Controller's "
    "stop() there would end the session before its reply (stop it after the session instead)"
)


def why_close_stays(close: cst.FunctionDef, names: LegacyNames) -> str:
    """Why an own close() cannot stop the controller in its base call's place."""
    found = [
        s
        for s in reachable_statements(close)
        if isinstance(s, cst.SimpleStatementLine)
        and close.params.params
        and is_base_close(s, close.params.params[0].name.value, names)
    ]
    if len(found) == 1 and uses_legacy_besides(close, found[0], names):
        return (
            "its close() reaches smtpd or asyncore besides closing the base (the channels "
            "in asyncore.socket_map): a handler has neither; its Controller's stop() closes "
            "the listening socket and ends every session"
        )
    return (
        "its close() does not close the base exactly once where it always runs: a handler "
        "cannot close; its Controller's stop() does"
    )


def sets_own(node: cst.ClassDef, name: str) -> bool:
    """``self.<name> = ...`` in a method: the class's own attribute, not the dispatcher's.

    For ``log``: asyncore's dispatcher.log() wrote ``log: <message>`` to stderr, but neither
    asyncore nor smtpd ever calls it, so a class's own ``log`` (a logger, a method) is just
    its own, and the handler keeps it."""
    m = cst.matchers
    target = m.AssignTarget(target=m.Attribute(value=m.Name("self"), attr=m.Name(name)))
    return bool(m.findall(node, target))


def socket_read_after_base_init(server: ServerClass) -> bool:
    """``self.socket`` read by ``__init__`` itself, only after its one top-level base call
    (``self.port = self.socket.getsockname()[1]``), nowhere in the methods it calls, and
    no ``self.controller`` of the class's own (the name the bound controller takes)."""
    init = server.init
    if init is None or not init.params.params or CONTROLLER_ATTRIBUTE in names_in(server.node):
        return False
    me = init.params.params[0].name.value
    m = cst.matchers
    reading = m.Attribute(value=m.Name(me), attr=m.Name("socket"))
    others = [f for f in reached_from(server.node, "__init__") if f is not init]
    if any(reads_self(method, "socket") for method in others):
        return False
    seen_base = False
    for statement in block_body(init.body):
        if is_top_level_base_init(statement, me):
            if seen_base:
                return False
            seen_base = True
        elif m.findall(statement, reading) and not seen_base:
            return False
    return seen_base


def is_top_level_base_init(statement: cst.BaseStatement, me: str) -> bool:
    """``super().__init__(...)`` or ``<Base>.__init__(<me>, ...)`` as a statement."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    call = small.value if isinstance(small, cst.Expr) else None
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return False
    if call.func.attr.value != "__init__":
        return False
    owner = call.func.value
    if isinstance(owner, cst.Call):
        return dotted_name(owner.func) == "super"
    first = call.args[0] if call.args else None
    return first is not None and not first.star and dotted_name(first.value) == me


def names_in(node: cst.CSTNode) -> Set[str]:
    """Every name and attribute name in ``node``."""
    found = cst.matchers.findall(node, cst.matchers.Name())
    return {n.value for n in found if isinstance(n, cst.Name)}

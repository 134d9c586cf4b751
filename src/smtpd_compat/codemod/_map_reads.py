"""asyncore's map read right after the module's one server is made, to reach its socket.

A server made without a name (``Sink(("", 0), None)``: it lives in asyncore's map) is
found again through that map to read its port::

    Sink(("127.0.0.1", 0), None)
    for dispatcher in list(asyncore.socket_map.values()):
        print(dispatcher.socket.getsockname()[1])

On the very next statement nothing has served yet, so the map held that server alone: the
read becomes ``[<its controller>]``, a BoundController bound at once, whose ``socket`` is
the one smtpd's server had. Only this shape (rule startup): the module's only server, the
statement right after its creation, and the value used for nothing but ``.socket``.
"""

from __future__ import annotations

from typing import List, Optional

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._names import LegacyNames, dotted_name
from smtpd_compat.codemod._plan import Instance


def map_values_call(call: cst.Call, names: LegacyNames) -> bool:
    """``asyncore.socket_map.values()``."""
    func = call.func
    if call.args or not isinstance(func, cst.Attribute) or func.attr.value != "values":
        return False
    return names.legacy_name(func.value) == "asyncore.socket_map"


def read_dispatcher(statement: cst.CSTNode, call: cst.Call) -> Optional[str]:
    """The name the statement gives the map's entry: ``for D in [list(]<call>[)]:`` or
    ``V = next(iter(<call>))``."""
    if isinstance(statement, cst.For) and isinstance(statement.target, cst.Name):
        iterated = statement.iter
        if wraps(iterated, "list", call) or iterated is call:
            return statement.target.value
        return None
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return None
    target = small.targets[0].target
    value = small.value
    if isinstance(target, cst.Name) and isinstance(value, cst.Call):
        first = value.args[0].value if len(value.args) == 1 else None
        if dotted_name(value.func) == "next" and isinstance(first, cst.Call):
            return target.value if wraps(first, "iter", call) else None
    return None


def wraps(node: cst.BaseExpression, function: str, call: cst.Call) -> bool:
    """``function(call)`` with nothing else."""
    return (
        isinstance(node, cst.Call)
        and dotted_name(node.func) == function
        and len(node.args) == 1
        and node.args[0].keyword is None
        and not node.args[0].star
        and node.args[0].value is call
    )


def only_socket_read(scope: cst.CSTNode, name: str, bound_at: cst.CSTNode) -> bool:
    """Every use of ``name`` in ``scope`` reads ``name.socket`` (its binding aside)."""
    m = cst.matchers
    uses = [n for n in m.findall(scope, m.Name(name)) if n is not bound_at]
    reads = m.findall(scope, m.Attribute(value=m.Name(name), attr=m.Name("socket")))
    read_names = {id(r.value) for r in reads if isinstance(r, cst.Attribute)}
    labels = m.findall(scope, m.Attribute(attr=m.Name(name)))  # ``x.<name>``: no use
    labelled = {id(a.attr) for a in labels if isinstance(a, cst.Attribute)}
    return all(id(u) in read_names or id(u) in labelled for u in uses)


def bound_name(statement: cst.CSTNode) -> cst.CSTNode:
    """The Name node the statement binds the entry to."""
    if isinstance(statement, cst.For):
        return statement.target
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    assert isinstance(small, cst.Assign)
    return small.targets[0].target


def follows(block: List[cst.BaseStatement], first: cst.CSTNode, then: cst.CSTNode) -> bool:
    """``then`` is the statement right after ``first`` in ``block``."""
    at = next((i for i, s in enumerate(block) if s is first), None)
    return at is not None and at + 1 < len(block) and block[at + 1] is then


def the_server(instances: List[Instance], thread_instances: int) -> Optional[Instance]:
    """The module's only server: the map held nothing else before serving."""
    return instances[0] if len(instances) == 1 and not thread_instances else None

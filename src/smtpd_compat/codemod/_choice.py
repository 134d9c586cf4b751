"""A server whose class is chosen when the program runs: ``SERVERS[MODE](...)``.

Test modules and small services keep several server classes and pick one by a
setting: ``SERVERS = {"accept": Accepting, "fail": Failing}`` then
``SERVERS[MODE](addr, None)``, or ``Server = Loud if verbose else Quiet``. Each
class becomes a handler (rule handler) and the same expression then picks the
handler, so the start-up converts as for one class, provided the candidates
convert alike: no ``__init__`` of their own (the call's arguments are smtpd's),
no channel, no ``close()`` override, no thread, and the same report. Only
expressions the codemod can read completely count: a conditional expression, or
a subscript of a module-level dict, list or tuple of class names that is bound
once and only ever indexed, or a module-level alias only ever called. ``cls(...)``
in the class's own classmethod is the class itself (``makes_own_class``).
"""

from __future__ import annotations

from typing import Dict, List, Optional, Protocol, Set

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import code_of
from smtpd_compat.codemod._names import dotted_name
from smtpd_compat.codemod._plan import SECTION_STARTUP, Plan, ServerClass


class Planner(Protocol):
    """What this module asks of ``_planner.Planner``: make an instance, or report."""

    plan: Plan

    def add_instance(self, call: cst.Call, server: Optional[ServerClass]) -> None: ...

    def block(self, node: cst.CSTNode, message: str, section: str) -> None: ...


m = cst.matchers


def chosen_classes(
    func: cst.BaseExpression, module: cst.Module, classes: Dict[str, ServerClass]
) -> Optional[List[ServerClass]]:
    """The server classes ``func`` may evaluate to, when it can only be one of them."""
    if isinstance(func, cst.IfExp):
        body = chosen_classes(func.body, module, classes)
        orelse = chosen_classes(func.orelse, module, classes)
        return None if body is None or orelse is None else unique([*body, *orelse])
    if isinstance(func, cst.Subscript) and isinstance(func.value, cst.Name):
        table = bound_once(func.value.value, module)
        if table is None or not only_indexed(func.value.value, module):
            return None
        values = table_values(table)
        if values is None:
            return None
        found = [chosen_classes(v, module, classes) for v in values]
        if not found or any(f is None for f in found):
            return None
        return unique([c for f in found if f is not None for c in f])
    if isinstance(func, cst.Name):
        if func.value in classes:
            return [classes[func.value]]
        value = bound_once(func.value, module)
        if value is None or not only_called(func.value, module):
            return None
        return chosen_classes(value, module, classes)
    return None


def unique(found: List[ServerClass]) -> List[ServerClass]:
    return list({id(c): c for c in found}.values())


def table_values(table: cst.BaseExpression) -> Optional[List[cst.BaseExpression]]:
    """The values of a dict, list or tuple literal (no unpacking)."""
    if isinstance(table, cst.Dict):
        elements = table.elements
        if not all(isinstance(e, cst.DictElement) for e in elements):
            return None
        return [e.value for e in elements]
    if isinstance(table, (cst.List, cst.Tuple)):
        if not all(isinstance(e, cst.Element) for e in table.elements):
            return None
        return [e.value for e in table.elements]
    return None


def bound_once(name: str, module: cst.Module) -> Optional[cst.BaseExpression]:
    """The value of ``name = value`` at the module's top level, its only binding."""
    top = [
        small
        for line in module.body
        if isinstance(line, cst.SimpleStatementLine)
        for small in line.body
        if isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
        and small.targets[0].target.value == name
    ]
    if len(top) != 1:
        return None  # cheap first: most called names are no module-level variable
    assigned = m.findall(module, m.Assign(targets=[m.AssignTarget(target=m.Name(name))]))
    every_target = m.findall(module, m.AssignTarget(target=m.Name(name)))
    other_bindings = m.findall(
        module,
        m.AugAssign(target=m.Name(name))
        | m.AnnAssign(target=m.Name(name))
        | m.NamedExpr(target=m.Name(name))
        | m.Param(name=m.Name(name))
        | m.For(target=m.Name(name))
        | m.CompFor(target=m.Name(name))
        | m.AsName(name=m.Name(name))
        | m.Global(names=[m.ZeroOrMore(), m.NameItem(name=m.Name(name)), m.ZeroOrMore()])
        | m.ClassDef(name=m.Name(name))
        | m.FunctionDef(name=m.Name(name)),
    )
    if len(assigned) != 1 or len(every_target) != 1 or other_bindings:
        return None
    return top[0].value if assigned[0] is top[0] else None


def only_indexed(name: str, module: cst.Module) -> bool:
    """``name`` is read only as ``name[...]`` (never changed, passed on or deleted)."""
    uses = len(m.findall(module, m.Name(name)))
    indexed = m.findall(module, m.Subscript(value=m.Name(name)))
    changed = m.findall(
        module,
        m.AssignTarget(target=m.Subscript(value=m.Name(name)))
        | m.Del(target=m.Subscript(value=m.Name(name)))
        | m.AugAssign(target=m.Subscript(value=m.Name(name))),
    )
    return uses == len(indexed) + 1 and not changed  # + 1: its own assignment


def only_called(name: str, module: cst.Module) -> bool:
    """``name`` is read only as ``name(...)`` (no subclass, no other use of the class)."""
    uses = len(m.findall(module, m.Name(name)))
    return uses == len(m.findall(module, m.Call(func=m.Name(name)))) + 1  # + its assignment


def why_not_alike(candidates: List[ServerClass]) -> Optional[str]:
    """None when the candidates convert the same way (one start-up fits them all)."""
    for server in candidates:
        if server.init is not None or server.forwards:
            return f"{server.name} has its own __init__"
        if server.channel is not None or server.closes_itself or server.thread is not None:
            return f"{server.name} has a channel, a close() override or a thread"
    first = candidates[0]
    for server in candidates[1:]:
        if (server.raised_type_error, server.decodes_itself) != (
            first.raised_type_error,
            first.decodes_itself,
        ):
            return f"{first.name} and {server.name} take the message differently"
    return None


def share_attributes(candidates: List[ServerClass]) -> None:
    """Every candidate stores what any of them reads: one call builds each."""
    every: Set[str] = set().union(*(s.attrs_read for s in candidates))
    for server in candidates:
        server.attrs_read = set(every)


def add_chosen_instance(planner: Planner, call: cst.Call, candidates: List[ServerClass]) -> None:
    """``SERVERS[MODE](...)``: an instance of whichever candidate, when they convert alike."""
    chosen = f"{code_of(call.func)}(...) chooses among {', '.join(s.name for s in candidates)}"
    reason = why_not_alike(candidates)
    if reason is None:
        made = len(planner.plan.instances)
        planner.add_instance(call, candidates[0])
        if len(planner.plan.instances) == made:
            return  # add_instance reported why
        reason = same_decode_data(candidates) or why_not_alike(candidates)
    if reason is not None:
        message = f"{chosen}: {reason}, so no one start-up fits them all"
        planner.block(call, message, SECTION_STARTUP)
        return
    planner.plan.chosen.append(candidates)


def same_decode_data(candidates: List[ServerClass]) -> Optional[str]:
    """Each candidate takes the decode_data of the instance (smtpd's option, one value)."""
    decode_data, runtime = candidates[0].decode_data, candidates[0].runtime_decode
    for server in candidates[1:]:
        if server.decode_data not in (None, decode_data):
            return f"{server.name} is also created with another decode_data"
        server.decode_data, server.runtime_decode = decode_data, runtime or server.runtime_decode
    return None


def makes_own_class(method: cst.CSTNode, made: str) -> bool:
    """``cls(...)`` in a classmethod: the server class itself (rule startup makes its Controller).

    (``self.__class__(...)`` and ``type(self)(...)`` stay reported: another instance of a
    running server.)
    """
    if not isinstance(method, cst.FunctionDef) or made != "cls":
        return False
    decorators = [dotted_name(d.decorator) for d in method.decorators]
    params = method.params.params
    return decorators == ["classmethod"] and bool(params) and params[0].name.value == "cls"

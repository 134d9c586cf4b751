"""A private socket map: ``map=m`` given to the server, every loop and ``close_all``.

Test helpers keep their server off asyncore's shared map: ``m = {}``, the server made
with ``map=m`` (directly, or through an ``__init__`` parameter passed on as ``map=``),
served by ``asyncore.loop(map=m)`` or ``Thread(target=asyncore.loop, kwargs={"map": m})``
and shut down by ``asyncore.close_all(map=m)``. Where the module creates that one
server and every loop and ``close_all`` passes the same fresh dict, which nothing else
reads, the map only keeps the server apart from other servers, of which there are
none: it converts as the shared map does, and the map goes with the loop. Any other
map use keeps its truthful blocker.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst
import libcst.matchers
from libcst.metadata import ParentNodeProvider

from smtpd_compat.codemod._build import code_of
from smtpd_compat.codemod._names import dotted_name
from smtpd_compat.codemod._plan import (
    SECTION_CHANGES,
    SECTION_STARTUP,
    Instance,
    Plan,
    own_executor,
)
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._threads import (
    LONG_COUNT,
    alias_name,
    counted_passes,
    long_count,
    loop_target_arguments,
    loop_thread_label,
    small_call,
    socket_map_alias,
)

# asyncore.loop(timeout, use_poll, map, count); asyncore.close_all(map, ignore_all)
LOOP_MAP_POSITION = 2
CLOSE_ALL = "asyncore.close_all()"
CLOSE_ALL_MAP_POSITION = 0


def is_shared(value: Optional[cst.BaseExpression]) -> bool:
    """No map, or ``map=None``: asyncore's shared map."""
    return value is None or dotted_name(value) == "None"


def argument(call: cst.Call, keyword: str, position: int) -> Optional[cst.BaseExpression]:
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
        if arg.keyword is None and not arg.star and index == position:
            return arg.value
    return None


def assignments(planner: Planner) -> List[cst.Assign]:
    found = cst.matchers.findall(planner.module, cst.matchers.Assign())
    return [a for a in found if isinstance(a, cst.Assign)]


def in_thread_class(planner: Planner, call: cst.Call) -> bool:
    """Inside what the thread rule rewrites (a thread class's run() and stop())."""
    return id(planner.statement_of(call)) in planner.in_threads or planner.inside_thread_run(call)


def loop_thread_argument(
    planner: Planner, call: cst.Call, name: str, position: int
) -> Optional[cst.BaseExpression]:
    """What ``Thread(target=asyncore.loop, ...)`` passes the loop as ``name``: an entry of
    its ``kwargs=`` or the ``position``-th of its ``args=``, or of the target's own
    arguments (``lambda: asyncore.loop(...)``, ``functools.partial(asyncore.loop, ...)``)."""
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword}
    target = next(arg for c, arg in planner.thread_targets if c is call)
    own = loop_target_arguments(target.value, planner.plan.names) or []
    if target.keyword is None:  # ``executor.submit(asyncore.loop, 1)``: the rest are the loop's
        own = [*own, *call.args[1:]]
        keywords = {}
    if own:
        fake = cst.Call(func=cst.Name("loop"), args=own)  # read as the loop call it stands for
        return argument(fake, name, position)
    given = dict_entry(planner, keywords.get("kwargs"), name)
    passed = keywords.get("args")
    if given is None and isinstance(passed, (cst.Tuple, cst.List)):
        values = [e.value for e in passed.elements if isinstance(e, cst.Element)]
        given = values[position] if len(values) > position else None
    return given


def dict_entry(
    planner: Planner, value: Optional[cst.BaseExpression], key: str
) -> Optional[cst.BaseExpression]:
    """``{"map": m, ...}`` or ``dict(map=m)``, written there or assigned once to a name."""
    if isinstance(value, cst.Name):
        assigned = [
            a.value
            for a in assignments(planner)
            if len(a.targets) == 1 and dotted_name(a.targets[0].target) == value.value
        ]
        value = assigned[0] if len(assigned) == 1 else None
    if isinstance(value, cst.Dict):
        for element in value.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                if element.key.evaluated_value == key:
                    return element.value
    if isinstance(value, cst.Call) and dotted_name(value.func) == "dict":
        return argument(value, key, -1)
    return None


def map_sites(planner: Planner) -> Iterator[Tuple[cst.CSTNode, str, Optional[cst.BaseExpression]]]:
    """Every loop, loop thread and ``close_all`` outside thread classes, with its map."""
    for call in planner.loop_calls:
        given = argument(call, "map", LOOP_MAP_POSITION)
        alias = alias_name(socket_map_alias(planner.scope_of(call), planner.plan.names))
        if alias is not None and given is not None and dotted_name(given) == alias:
            given = None  # asyncore's shared map under a local name
        if not in_thread_class(planner, call):
            yield call, "asyncore.loop()", given
    for call, target in planner.thread_targets:
        given = loop_thread_argument(planner, call, "map", LOOP_MAP_POSITION)
        yield call, loop_thread_label(target), given
    for call in planner.calls:
        if planner.legacy(call.func) == "asyncore.close_all" and not in_thread_class(planner, call):
            yield call, CLOSE_ALL, argument(call, "map", CLOSE_ALL_MAP_POSITION)


def map_name(value: Optional[cst.BaseExpression]) -> Optional[str]:
    """The name of a private map (``None``: asyncore's shared map)."""
    return None if is_shared(value) else dotted_name(value) or "?"  # type: ignore[arg-type]


def check_socket_maps(planner: Planner) -> None:
    """Private maps convert in the shape above, each the map of one server; a loop or
    ``close_all`` serves the servers on its own map. Any other map use blocks, at its line."""
    plan = planner.plan
    on_map: Dict[Optional[str], List[Instance]] = {}
    for instance in plan.instances:
        on_map.setdefault(map_name(instance.socket_map), []).append(instance)
    private = {name: group for name, group in on_map.items() if name is not None}
    for group in [g for g in private.values() if len(g) > 1]:
        for instance in group:
            planner.block(
                instance.statement,
                "a server on a private map= converts only where no other server is on that map",
                SECTION_STARTUP,
            )
    allowed: Dict[str, Set[int]] = {n: {id(g[0].socket_map)} for n, g in private.items()}
    for node, what, given in map_sites(planner):
        name = map_name(given)
        if name is not None and not private:
            planner.block(
                node,
                f"{what} is given a map= no server this module creates is on: smtpd's loop "
                "served nothing there",
                SECTION_STARTUP,
            )
            continue
        if name is not None and (
            name not in private or served_outside_its_class(planner, private[name][0], node)
        ):
            another_map(planner, node, what, list(private))
            continue
        if name is None and what == CLOSE_ALL and None not in on_map:
            another_map(planner, node, what, list(private))  # it closed none of them
            continue
        if name is not None:
            allowed[name].add(id(given))
        keep_served_on(planner, node, what, name)
    for name, group in private.items():
        check_private_map(planner, group[0], name, allowed[name])
        give_own_executor(planner, group[0])
    check_loop_threads(planner)


def give_own_executor(planner: Planner, instance: Instance) -> None:
    """The loop of a private map ran its server's process_message on its own thread."""
    server = instance.server
    if server is None:
        return
    others = [i for i in planner.plan.instances if i.server is server and i is not instance]
    if others:
        planner.block(
            others[0].statement,
            f"class {server.name} has instances on different maps: smtpd ran their "
            "process_message on different loop threads",
            SECTION_STARTUP,
        )
    elif own_executor(server.name) in planner.name_uses:
        planner.block(
            instance.statement,
            f"the module has a name {own_executor(server.name)} of its own: the converted "
            f"{server.name} "
            "runs its process_message on an executor of that name",
            SECTION_STARTUP,
        )
    else:
        server.own_executor = True


def served_outside_its_class(planner: Planner, instance: Instance, site: cst.CSTNode) -> bool:
    """``map=self._map`` (the class's own map): a site outside the class is on another map."""
    server = instance.server
    own = (
        server.node
        if server is not None and server.map_param == map_name(instance.socket_map)
        else None
    )
    return own is not None and planner.class_of(planner.scope_of(site)) is not own


def another_map(planner: Planner, site: cst.CSTNode, what: str, maps: List[str]) -> None:
    planner.block(
        site,
        f"{what} does not pass map={' or '.join(maps)}, the map of the server: smtpd's loop "
        "served another map there",
        SECTION_STARTUP,
    )


def keep_served_on(planner: Planner, site: cst.CSTNode, what: str, name: Optional[str]) -> None:
    """A loop at ``site`` serves the servers of its block on its own map, and only those."""
    plan = planner.plan
    statement = planner.statement_of(site)
    block = planner.get_metadata(ParentNodeProvider, statement) if statement else None
    loop = None  # a polling ``while`` holding the loop call
    if isinstance(block, cst.IndentedBlock):
        loop = planner.get_metadata(ParentNodeProvider, block)
    for key in (site, statement, loop):
        if key is not None and id(key) in plan.served:
            served = plan.served[id(key)]
            mine = [i for i in served if map_name(i.socket_map) == name]
            plan.served[id(key)] = mine
            if served and not mine:
                maps = sorted({str(map_name(i.socket_map)) for i in served})
                another_map(planner, site, what, maps)


def check_loop_threads(planner: Planner) -> None:
    """A loop thread starts one controller: the one server of its block on its map."""
    for call in planner.plan.threads:
        served = planner.plan.served.get(id(call))
        if served is not None and len(served) != 1:
            planner.block(
                call,
                "threading.Thread(target=asyncore.loop) does not follow the creation of exactly "
                "one server in the same block (on the map it serves)",
                SECTION_STARTUP,
            )


def check_private_map(planner: Planner, instance: Instance, name: str, allowed: Set[int]) -> None:
    """The map is a fresh dict bound once and read only where it is passed: it goes."""
    made = fresh_assignments(planner, name)
    if len(made) != 1:
        planner.block(
            instance.statement,
            f"the server's map= is not a name bound once to a new dict ({name})",
            SECTION_STARTUP,
        )
        return
    allowed = allowed | {id(made[0].targets[0].target)}
    server = instance.server
    own = server is not None and server.map_param == name
    skipped = server.init if server is not None and not own else None  # its parameter
    for use in uses_of(planner.module, name, skipped):
        if id(use) not in allowed:
            planner.block(
                use,
                f"{name}, the server's socket map, is used here: the converted server has "
                "none (its Controller keeps its own sockets)",
                SECTION_STARTUP,
            )
            return
    kept = server is not None and server.init is not None  # its own call
    line = planner.get_metadata(ParentNodeProvider, made[0])
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and not kept:
        planner.plan.dropped.append(line)  # the map goes: nothing reads it any more


def closed_by(plan: Plan, statement: cst.SimpleStatementLine) -> List[Instance]:
    """The servers ``asyncore.close_all(map=m)`` closed: those on its map."""
    call = small_call(statement)
    given = argument(call, "map", CLOSE_ALL_MAP_POSITION) if call is not None else None
    return [i for i in plan.instances if map_name(i.socket_map) == map_name(given)]


def fresh_assignments(planner: Planner, name: Optional[str]) -> List[cst.Assign]:
    """``name = {}`` / ``name = dict()``, when those are its only bindings."""
    found: List[cst.Assign] = []
    for assign in assignments(planner):
        for target in assign.targets:
            if dotted_name(target.target) != name:
                continue
            value = assign.value
            empty = isinstance(value, cst.Dict) and not value.elements
            empty |= (
                isinstance(value, cst.Call) and dotted_name(value.func) == "dict" and not value.args
            )
            if not empty or len(assign.targets) != 1:
                return []
            found.append(assign)
    return found


def uses_of(module: cst.Module, name: str, skipped: Optional[cst.CSTNode]) -> List[cst.CSTNode]:
    finder = DottedUses(name, skipped)
    module.visit(finder)
    return finder.found


class DottedUses(cst.CSTVisitor):
    """Every ``name`` or ``a.b`` read or written, not the attribute part of ``x.name``."""

    def __init__(self, name: str, skipped: Optional[cst.CSTNode]) -> None:
        super().__init__()
        self.name, self.skipped = name, skipped
        self.found: List[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node is self.skipped:
            return False
        if isinstance(node, (cst.Name, cst.Attribute)) and dotted_name(node) == self.name:
            self.found.append(node)
            return False
        if isinstance(node, cst.Attribute):
            node.value.visit(self)  # not its attr: ``x.m`` is not ``m``
            return False
        if isinstance(node, cst.Arg):
            node.value.visit(self)  # not its keyword: ``map=m`` names the parameter
            return False
        return True


LOOP_COUNT_POSITION = 3


def check_thread_counts(planner: Planner) -> None:
    """``Thread(target=asyncore.loop, kwargs={"count": N})``: the loop returned after N passes.

    The converted thread serves until ``stop()``. A literal count of at least LONG_COUNT
    passes converts with a note; a smaller or computed count, the program's own limit,
    blocks.
    """
    for call, _ in planner.thread_targets:
        count = loop_thread_argument(planner, call, "count", LOOP_COUNT_POSITION)
        if is_shared(count):  # None: no count either
            continue
        assert count is not None
        if long_count(count):
            planner.add_note(call, counted_passes(code_of(count)), SECTION_CHANGES)
            continue
        planner.block(
            call,
            f"the loop thread is given count={code_of(count)}: smtpd's loop returned after that "
            f"many passes (fewer than {LONG_COUNT}: the program's own limit), a Controller "
            "serves until stop()",
            SECTION_STARTUP,
        )

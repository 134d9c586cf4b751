"""Which server a loop outside the creating block serves: the server value, tracked.

``asyncore.loop()`` serves every server alive when it runs (asyncore's shared map),
so a loop in another function or method serves the module's server only if that
server exists by then. With exactly one server creation in the module, the value is
followed from its creation through the places that hold it:

- the name or ``self.<attr>`` it is assigned to (its own controller is in reach there);
- ``self`` in the methods of its own class;
- ``x = f(...)`` where ``f`` returns it, and ``C(..., server, ...)`` where ``C.__init__``
  keeps that parameter as ``self.<attr>`` (the handler carries its controller there).

A loop, loop thread or ``close()`` reached through a holder converts; a loop that
reaches none, or a module with more servers, keeps its truthful blocker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst
import libcst.matchers
from libcst.metadata import ParentNodeProvider

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import dotted_name
from smtpd_compat.codemod._plan import DISPATCHER_ATTRS, Instance, ServerClass
from smtpd_compat.codemod._planner import OWNERS, Planner, binds
from smtpd_compat.codemod._threads import declares_global


@dataclass(frozen=True)
class Holder:
    """An expression that holds the server within a scope (function, class, module)."""

    scope: cst.CSTNode
    expr: str
    direct: bool  # the creation's own target: its controller is in reach by its name
    declared: bool = False  # a module name its creating function declares ``global``

    def controller(self, instance: Instance) -> str:
        if self.direct and not instance.starts_itself:
            return instance.controller_name
        return f"{self.expr}.controller"


class Tracker:
    """The holders of one instance's value, and where each loop or close reaches it."""

    def __init__(self, planner: Planner, instance: Instance) -> None:
        self.planner = planner
        self.instance = instance
        self.holders: List[Holder] = []
        self.returners: Set[int] = set()  # id(function) of the functions returning the server
        self.followed: Set[int] = set()  # id(argument) of the holders passed where followed
        self.functions = {
            f.name.value: f for f in planner.module.body if isinstance(f, cst.FunctionDef)
        }
        # SMTPChannel subclasses get the server from smtpd itself: rule channel reads them
        channels = {id(c) for c in planner.plan.channels}
        self.classes = {
            c.name.value: c
            for c in planner.module.body
            if isinstance(c, cst.ClassDef) and id(c) not in channels
        }

    # -- following the value ---------------------------------------------------
    def track(self) -> None:
        instance, planner = self.instance, self.planner
        scope = planner.scope_of(instance.statement)
        if instance.target is not None:
            self.add(self.holder_scope(scope, instance.target), instance.target, direct=True)
        if declares_global(scope, instance.target):  # read by the module's other functions
            self.holders.append(Holder(self.planner.module, instance.target or "", False, True))
        if instance.server is not None:
            self.add(instance.server.node, "self", direct=False)
        if instance.returned and isinstance(scope, cst.FunctionDef):
            self.returners.add(id(scope))
        for _ in range(4):  # holders beget holders; a few rounds reach every real shape
            before = (len(self.holders), len(self.returners))
            self.follow_returns()
            self.follow_calls()
            if (len(self.holders), len(self.returners)) == before:
                break

    def holder_scope(self, scope: cst.CSTNode, expr: str) -> cst.CSTNode:
        """``self.<attr>`` lives in the class of the method; a name in its own scope."""
        if expr.startswith(OWNERS):
            owner = self.planner.class_of(scope)
            if owner is not None:
                return owner
        return scope

    def add(self, scope: cst.CSTNode, expr: str, direct: bool) -> None:
        if not any(h.scope is scope and h.expr == expr for h in self.holders):
            self.holders.append(Holder(scope, expr, direct))

    def holder_named(self, scope: cst.CSTNode, expr: Optional[str]) -> Optional[Holder]:
        return next((h for h in self.holders if h.expr == expr and self.reaches(h, scope)), None)

    def follow_returns(self) -> None:
        """``return <holder>`` marks its function; ``x = f(...)`` then holds the server."""
        for function in self.functions.values():
            for ret in cst.matchers.findall(function, cst.matchers.Return()):
                assert isinstance(ret, cst.Return)
                name = dotted_name(ret.value) if ret.value is not None else None
                if self.planner.scope_of(ret) is function and self.holder_named(function, name):
                    self.returners.add(id(function))
        for call in self.planner.calls:
            called = self.functions.get(dotted_name(call.func) or "")
            if called is not None and id(called) in self.returners:
                target = assigned_to(self.planner, call)
                if target is not None:
                    scope = self.planner.scope_of(call)
                    self.add(self.holder_scope(scope, target), target, direct=False)

    def follow_calls(self) -> None:
        """``f(<holder>)``, ``C(<holder>)``, ``Thread(target=f, args=(<holder>,))``.

        The parameter holds the server in ``f`` (or ``C.__init__``), and so does the
        ``self.<attr>`` that ``__init__`` keeps it as.
        """
        for call in self.planner.calls:
            scope = self.planner.scope_of(call)
            for function, pairs in self.callees(call):
                for param, value in pairs:
                    if self.holder_named(scope, dotted_name(value)) is None:
                        continue
                    self.followed.add(id(value))
                    self.add(function, param, direct=False)
                    if function.name.value == "__init__":
                        self.keep(function, param, call, scope)

    def keep(self, init: cst.FunctionDef, param: str, call: cst.Call, scope: cst.CSTNode) -> None:
        """``self.<attr> = <param>`` in ``__init__``: held in the class and as ``x.<attr>``."""
        for kept in kept_as(init, param):
            self.add(self.classes_of(init), kept, direct=False)
            target = assigned_to(self.planner, call)
            if target is not None and "." not in target:
                self.add(scope, f"{target}.{kept[5:]}", direct=False)

    def callees(self, call: cst.Call) -> Iterator[Tuple[cst.FunctionDef, List[Param]]]:
        """The module's functions a call runs, with the arguments each parameter gets."""
        name = dotted_name(call.func) or ""
        init = self.init_of(name)
        if init is not None:
            yield init, passed_params(call.args, parameters(init)[1:])
        if name in self.functions:
            yield self.functions[name], passed_params(call.args, parameters(self.functions[name]))
        if self.planner.plan.names.is_thread_class(call.func):
            keywords = {a.keyword.value: a.value for a in call.args if a.keyword}
            target = self.functions.get(dotted_name(keywords.get("target", call.func)) or "")
            given = keywords.get("args")
            if target is not None and isinstance(given, (cst.Tuple, cst.List)):
                args = [cst.Arg(e.value) for e in given.elements if isinstance(e, cst.Element)]
                yield target, passed_params(args, parameters(target))

    def escapes(self) -> List[cst.BaseExpression]:
        """A holder passed to a call the tracking does not follow (its callee may close it)."""
        found: List[cst.BaseExpression] = []
        for call in self.planner.calls:
            scope = self.planner.scope_of(call)
            for arg in call.args:
                values = [arg.value]
                if isinstance(arg.value, (cst.Tuple, cst.List)):
                    values = [e.value for e in arg.value.elements]
                for value in values:
                    holder = self.holder_named(scope, dotted_name(value))
                    # ``self`` in the server class: the class's own checks (check_class_body)
                    if (
                        holder is not None
                        and holder.expr != "self"
                        and id(value) not in self.followed
                    ):
                        found.append(value)
        return found

    def init_of(self, name: str) -> Optional[cst.FunctionDef]:
        cls = self.classes.get(name)
        if cls is None:
            return None
        return next(
            (
                s
                for s in block_body(cls.body)
                if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"
            ),
            None,
        )

    def classes_of(self, method: cst.FunctionDef) -> cst.CSTNode:
        return self.planner.class_of(method) or method

    # -- reaching it -----------------------------------------------------------
    def reaches(self, holder: Holder, scope: cst.CSTNode) -> bool:
        """True when code in ``scope`` reads the holder's value by the holder's expression."""
        if holder.scope is scope:
            return True
        if isinstance(holder.scope, cst.ClassDef):
            owner = self.planner.class_of(scope)
            return owner is holder.scope or self.only_base_of(owner, holder.scope)
        head = holder.expr.split(".")[0]
        if isinstance(holder.scope, cst.Module):
            return not any(binds(f, head) for f in self.enclosing_functions(scope))
        if isinstance(holder.scope, cst.FunctionDef):  # a closure of the holding function
            for function in self.enclosing_functions(scope):
                if function is holder.scope:
                    return True
                if binds(function, head):
                    return False
        return False

    def only_base_of(self, base: Optional[cst.ClassDef], cls: cst.ClassDef) -> bool:
        """Every instance of ``base`` is a ``cls``: its one subclass, and never made itself."""
        if base is None:
            return False
        name = base.name.value
        subclasses = [
            c for c in self.classes.values() if name in (dotted_name(b.value) for b in c.bases)
        ]
        made = any(dotted_name(call.func) == name for call in self.planner.calls)
        return subclasses == [cls] and not made

    def enclosing_functions(self, scope: cst.CSTNode) -> Iterator[cst.CSTNode]:
        node = scope
        while not isinstance(node, cst.Module):
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                yield node
            node = self.planner.get_metadata(ParentNodeProvider, node)

    def holder_at(self, node: cst.CSTNode) -> Optional[Holder]:
        """The holder a loop or close at ``node`` reaches, the creation's own name first."""
        scope = self.planner.scope_of(node)
        found = [h for h in self.holders if self.reaches(h, scope)]
        found.sort(key=lambda h: not h.direct)
        return found[0] if found else None


def assigned_to(planner: Planner, call: cst.Call) -> Optional[str]:
    """``x = call`` / ``self.x = call``: the target's dotted name."""
    parent = planner.get_metadata(ParentNodeProvider, call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        return dotted_name(parent.targets[0].target)
    return None


Param = Tuple[str, cst.BaseExpression]


def parameters(function: cst.FunctionDef) -> List[str]:
    return [p.name.value for p in function.params.params]


def passed_params(args: Sequence[cst.Arg], params: List[str]) -> List[Param]:
    """(parameter name, argument) pairs of a plain call to a function with these parameters."""
    pairs = []
    for position, arg in enumerate(args):
        if arg.star:
            return []
        if arg.keyword is not None:
            pairs.append((arg.keyword.value, arg.value))
        elif position < len(params):
            pairs.append((params[position], arg.value))
    return pairs


def kept_as(init: cst.FunctionDef, param: str) -> List[str]:
    """``self.<attr> = <param>`` statements at the top of ``__init__``."""
    kept = []
    for stmt in block_body(init.body):
        small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = dotted_name(small.targets[0].target) or ""
            if dotted_name(small.value) == param and target.count(".") == 1:
                if target.startswith("self."):
                    kept.append(target)
    return kept


def dispatcher_reads(planner: Planner, tracker: Tracker) -> Dict[cst.Attribute, Holder]:
    """``<holder>.<attr>`` reads of a dispatcher attribute, through a holder other than its name."""
    found = {}
    for attribute in planner.attributes:
        if attribute.attr.value not in DISPATCHER_ATTRS:
            continue
        holder = tracker.holder_named(planner.scope_of(attribute), dotted_name(attribute.value))
        if holder is not None and not holder.direct and holder.expr != "self":
            found[attribute] = holder
    return found


def reached_holder(planner: Planner, tracker: Tracker, site: cst.CSTNode) -> Optional[Holder]:
    """The holder a loop site reaches where the server already exists when it runs."""
    scope = planner.scope_of(site)
    for holder in sorted(tracker.holders, key=lambda h: preference(tracker.instance, h)):
        if tracker.reaches(holder, scope) and created_before(planner, tracker, holder, site):
            return holder
    return None


def preference(instance: Instance, holder: Holder) -> bool:
    """Its creation's own name first; ``self`` first for a server binding its own controller
    (``self.controller`` in its own methods, not the global it happens to be kept in)."""
    if instance.starts_itself:
        return holder.expr != "self"
    return not holder.direct


def created_before(planner: Planner, tracker: Tracker, holder: Holder, site: cst.CSTNode) -> bool:
    """A loop reached through the creation's own name runs after the creation.

    Any other holder was handed the server, which therefore exists.
    """
    instance = tracker.instance
    if runs_during_creation(planner, instance, site):
        return False
    if holder.declared:
        return called_after_creation(planner, instance, site)
    if not holder.direct:
        return True
    made_in = planner.scope_of(instance.statement)
    if isinstance(holder.scope, cst.ClassDef):  # self.<attr>: made in __init__, served elsewhere
        in_init = isinstance(made_in, cst.FunctionDef) and made_in.name.value == "__init__"
        if made_in is planner.scope_of(site):
            return False
        return in_init or entered_after_creation(planner, instance, site)
    if planner.scope_of(site) is made_in:
        return encloses(planner, instance.owner, site) and planner.line(
            instance.statement
        ) < planner.line(site)
    if isinstance(made_in, cst.FunctionDef) and encloses(planner, made_in, site):
        return closure_named_after_creation(planner, instance, site)
    return isinstance(made_in, cst.Module) and not called_before(planner, instance, site)


def closure_named_after_creation(planner: Planner, instance: Instance, site: cst.CSTNode) -> bool:
    """A loop in a function nested in the creating one (``def run_server(): loop()``) runs
    after the creation when the creating function names that function only after it: as
    ``Thread(target=run_server)``, say, it then finds the server, and its controller."""
    made_in = planner.scope_of(instance.statement)
    nested: Optional[cst.CSTNode] = None
    node = site
    while node is not made_in:
        if isinstance(node, cst.FunctionDef):
            nested = node
        node = planner.get_metadata(ParentNodeProvider, node)
    if not isinstance(nested, cst.FunctionDef):
        return False
    m = cst.matchers
    uses = [n for n in m.findall(made_in, m.Name(nested.name.value)) if n is not nested.name]
    created = planner.line(instance.statement)
    return bool(uses) and all(planner.line(n) > created for n in uses)


def runs_during_creation(planner: Planner, instance: Instance, site: cst.CSTNode) -> bool:
    """The loop is in the created class's ``__init__`` or a method it calls on ``self``:
    it runs before the creation's name (and so its controller) exists."""
    if instance.server is None:
        return False
    methods = {
        f.name.value: f
        for f in block_body(instance.server.node.body)
        if isinstance(f, cst.FunctionDef)
    }
    init = methods.get("__init__")
    if init is None:
        return False
    m = cst.matchers
    called = {
        a.attr.value
        for a in m.findall(init, m.Attribute(value=m.Name("self")))
        if isinstance(a, cst.Attribute)
    }
    during = [init, *(methods[n] for n in sorted(called) if n in methods)]
    return any(encloses(planner, method, site) for method in during)


def called_after_creation(planner: Planner, instance: Instance, site: cst.CSTNode) -> bool:
    """A loop reading the global its creating function sets runs after that function.

    Module code calls the creating function before it first names the loop's function,
    and no function names the loop's function (it may run earlier from there: smtpd's
    loop then returned at once, the converted one would find no server).
    """
    made_in, loop_in = planner.scope_of(instance.statement), planner.scope_of(site)
    if not isinstance(made_in, cst.FunctionDef) or not isinstance(loop_in, cst.FunctionDef):
        return False
    if loop_in is made_in or planner.class_of(loop_in) is not None:
        return False
    m = cst.matchers
    named_in_functions = [
        n
        for d in planner.module.body
        if isinstance(d, (cst.FunctionDef, cst.ClassDef))
        for n in m.findall(d.body, m.Name(loop_in.name.value))
    ]
    if named_in_functions:
        return False
    code = [s for s in planner.module.body if not isinstance(s, (cst.FunctionDef, cst.ClassDef))]
    made = [
        planner.line(c) for s in code for c in m.findall(s, m.Call(func=m.Name(made_in.name.value)))
    ]
    looped = [planner.line(n) for s in code for n in m.findall(s, m.Name(loop_in.name.value))]
    return bool(made) and bool(looped) and min(made) < min(looped)


def entered_after_creation(planner: Planner, instance: Instance, site: cst.CSTNode) -> bool:
    """The loop's method runs only from a base method that the creating method calls later.

    ``start()`` makes ``self.server`` then calls ``Base.start(self)``, which alone names the
    loop's method (``Thread(target=self.wrap_loop)``); either the class overrides ``start``
    (no other call of ``start`` reaches the base's) or only the creating method names it.
    """
    made_in, loop_in = planner.scope_of(instance.statement), planner.scope_of(site)
    if not isinstance(made_in, cst.FunctionDef) or not isinstance(loop_in, cst.FunctionDef):
        return False
    naming = {id(planner.scope_of(n)): planner.scope_of(n) for n in named(planner, loop_in)}
    if len(naming) != 1:
        return False
    starter = next(iter(naming.values()))
    if starter is made_in:  # ``self.smtp = Server(...)`` then ``Thread(target=self.loop)``
        created = planner.line(instance.statement)
        return all(planner.line(n) > created for n in named(planner, loop_in))
    if not isinstance(starter, cst.FunctionDef):
        return False
    overrides = starter.name.value == made_in.name.value
    if overrides and planner.class_of(starter) is planner.class_of(made_in):
        return False
    created = planner.line(instance.statement)
    calls = [n for n in named(planner, starter) if planner.scope_of(n) is not starter]
    if not overrides and any(planner.scope_of(n) is not made_in for n in calls):
        return False
    calls = [n for n in calls if planner.scope_of(n) is made_in]
    return bool(calls) and all(planner.line(n) > created for n in calls)


def named(planner: Planner, function: cst.FunctionDef) -> List[cst.CSTNode]:
    """Where a method's name is read (``self.name``, ``Base.name``), its own def aside."""
    name = function.name.value
    return [
        a for a in planner.attributes if a.attr.value == name and planner.legacy(a) is None
    ]  # ``asyncore.loop`` names no method called loop


def encloses(planner: Planner, block: cst.CSTNode, node: cst.CSTNode) -> bool:
    while not isinstance(node, cst.Module):
        if node is block:
            return True
        node = planner.get_metadata(ParentNodeProvider, node)
    return node is block


def called_before(planner: Planner, instance: Instance, site: cst.CSTNode) -> bool:
    """The function or class holding ``site`` is named by module code before the creation."""
    outer: cst.CSTNode = site
    node: cst.CSTNode = site
    while not isinstance(node, cst.Module):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            outer = node
        node = planner.get_metadata(ParentNodeProvider, node)
    if not isinstance(outer, (cst.FunctionDef, cst.ClassDef)):
        return True
    name = outer.name.value
    names = {name} | {
        s.name.value
        for s in block_body(outer.body)
        if isinstance(outer, cst.ClassDef) and isinstance(s, cst.FunctionDef)
    }
    before = code_before(planner.module.body, instance.statement)
    if before is None:
        return True  # the creation is not module code
    found = [n for node in before for n in cst.matchers.findall(node, cst.matchers.Name())]
    return any(isinstance(n, cst.Name) and n.value in names for n in found)


def code_before(body: Sequence[cst.CSTNode], statement: cst.CSTNode) -> Optional[List[cst.CSTNode]]:
    """Module code that runs before ``statement`` (in the blocks holding it), or None.

    Definitions run nothing; a compound statement holding ``statement`` contributes its
    header and the code before ``statement`` inside it (``if __name__ == "__main__":``).
    """
    before: List[cst.CSTNode] = []
    for stmt in body:
        if stmt is statement:
            return before
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        inner = code_inside(stmt, statement)
        if inner is not None:
            return before + inner
        before.append(stmt)
    return None


def code_inside(stmt: cst.CSTNode, statement: cst.CSTNode) -> Optional[List[cst.CSTNode]]:
    """The code of compound ``stmt`` before ``statement``, when ``stmt`` holds it."""
    if not isinstance(stmt, (cst.If, cst.Try, cst.With, cst.For, cst.While)):
        return None
    header = [getattr(stmt, a) for a in ("test", "iter", "items") if hasattr(stmt, a)]
    flat = [h for part in header for h in (part if isinstance(part, Sequence) else [part])]
    inner = code_before(block_body(stmt.body), statement)
    return None if inner is None else [*flat, *inner]


def untracked_uses(planner: Planner, tracker: Tracker) -> List[cst.Attribute]:
    """``<x>.<name>.<dispatcher attribute>`` where ``name`` names a holder, not followed there.

    Such code may reach the server by a path the tracking did not see: the handler has no
    ``close()`` or other dispatcher attribute (it keeps ``socket``, see the startup rule).
    """
    plan = planner.plan
    names = {h.expr.split(".")[-1] for h in tracker.holders if h.expr != "self"}
    found = []
    for attribute in planner.attributes:
        call = planner.get_metadata(ParentNodeProvider, attribute)
        if attribute.attr.value not in DISPATCHER_ATTRS or attribute in plan.sockets:
            continue
        if call in plan.closes or attribute in plan.closes:  # called, or passed on to call
            continue
        receiver = dotted_name(attribute.value) or ""
        if receiver.split(".")[-1] in names and receiver != "self":
            found.append(attribute)
    return found


def started_in_init(planner: Planner, site: cst.CSTNode) -> Optional[Tuple[ServerClass, str]]:
    """The server class whose ``__init__`` starts the loop thread ``site`` after its base call
    (itself, or in a method only it calls, then), and the name ``self`` has there.

    smtpd's server was bound by then, and the thread served it from there on: the class
    binds its controller in the base call's place and the thread starts it (rule startup).
    """
    if not any(site is call for call, _ in planner.thread_targets):
        return None
    scope = planner.scope_of(site)
    owner = planner.class_of(scope)
    server = next((s for s in planner.plan.servers if s.node is owner), None)
    if server is None or server.init is None or server.base_init is None:
        return None
    assert isinstance(scope, cst.FunctionDef)  # a method of the class
    start: cst.CSTNode = site
    if scope is not server.init:  # ``self.start_loop()`` in __init__, named nowhere else
        calls = named(planner, scope)
        if len(calls) != 1 or planner.scope_of(calls[0]) is not server.init:
            return None
        start = calls[0]
    body = block_body(server.init.body)
    at = next((i for i, s in enumerate(body) if encloses(planner, s, start)), None)
    base = next(i for i, s in enumerate(body) if s is server.base_init)
    params = scope.params.params
    if at is None or at <= base or not params:
        return None
    return server, params[0].name.value


def why_not_started_in_init(
    planner: Planner, server: ServerClass, site: cst.CSTNode
) -> Optional[str]:
    """Why the loop thread of ``server.__init__`` cannot start the class's own controller."""
    what = f"the loop thread {server.name}.__init__ starts served every server of the program"
    plan = planner.plan
    if server.thread is not None or server.self_name is None:
        return f"{what}: the class binds no controller of its own there"
    if any(i.server is not server for i in plan.instances) or planner.thread_instances:
        return f"{what}, and this module creates others: start one controller for each instead"
    loops = [c for c, _ in planner.thread_targets if c is not site]
    if planner.loop_calls or loops or plan.polls:
        return f"{what}, and another loop here serves them too: start each controller once"
    if not any(i.server is server for i in plan.instances):
        return f"class {server.name} is not instantiated in this module"
    return None

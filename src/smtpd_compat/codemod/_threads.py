"""Read a ``(smtpd.SMTPServer, threading.Thread)`` class: can its thread become a Controller?

Django-style test fixtures poll ``asyncore.loop(timeout=..., count=1)`` in
``run()`` while a flag is set, and ``stop()`` clears the flag, joins the thread
and closes the server. Such a class converts only in this shape, where the
thread's life is exactly "serve from start() until stop()":

- ``__init__`` calls ``threading.Thread.__init__(self, ...)`` once at its top level;
- ``run()`` is statements that set the flag, ``while <flag>: asyncore.loop(timeout=T,
  count=1)`` (optionally inside ``with self.<lock>:``, a lock used nowhere else),
  then optionally ``asyncore.close_all()`` / ``self.close()``;
- or ``run()`` is one blocking ``asyncore.loop()`` (no count, no map) after statements
  setting state, then optionally closing; ``stop()`` then closes the server before it joins;
- ``start()``, if overridden, calls ``threading.Thread.start(self)`` or
  ``super().start()`` once at its top level;
- ``stop()`` changes the flag, then joins the thread (``self.join(...)``,
  ``threading.Thread.join(self, ...)``) and closes the server, there or at the end
  of ``run()``, those statements all in one block;
- nothing else in the class reads the flag or the thread's own attributes.

Anything else yields the reasons the class was left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import LegacyNames, dotted_name

# threading.Thread's surface: a handler has none of it.
THREAD_ATTRS = frozenset(
    "join is_alive isAlive daemon setDaemon isDaemon name getName setName ident native_id"
    " run _target _args _kwargs _started".split()
)


@dataclass
class ThreadPlan:
    """What the thread rule rewrites in one class, by node identity."""

    node: cst.ClassDef
    thread_init: Optional[cst.BaseStatement] = None
    # ``self.daemon = ...`` / ``self.setDaemon(...)`` in __init__: they go with the Thread base
    # (the Controller's own thread is a daemon)
    daemon: List[cst.BaseStatement] = field(default_factory=list)
    run: Optional[cst.FunctionDef] = None
    prelude: List[cst.BaseStatement] = field(default_factory=list)
    start_call: Optional[cst.BaseStatement] = None  # Thread.start(self) in a start() override
    stop_statements: List[cst.BaseStatement] = field(default_factory=list)
    run_closes: bool = False  # run() closes the server after its loop
    # No stop(): run() is one blocking loop, ended by the server's own close() from outside
    # (``self.start()`` in __init__, ``mock.close()`` in the tests): close() stops instead
    close_stops: bool = False
    counted: Optional[cst.BaseExpression] = None  # the long count= of run()'s loop (noted)
    closes_all: bool = False  # asyncore.close_all() closed every server of the program
    reasons: List[str] = field(default_factory=list)
    where: List[cst.CSTNode] = field(default_factory=list)  # the node of each reason

    @property
    def rewritten(self) -> List[cst.CSTNode]:
        """Nodes that disappear or change: the attribute checks skip them."""
        nodes: List[cst.CSTNode] = [*self.stop_statements, *self.daemon]
        nodes += [n for n in (self.thread_init, self.run, self.start_call) if n is not None]
        return nodes


# A loop thread given at least this many passes (count=) served for the program's whole
# run in practice (a test's ``count=100000``); fewer are the program's own time limit.
LONG_COUNT = 1000


def counted_passes(note: str, whose: str = "the loop thread's") -> str:
    return (
        f"{whose} asyncore.loop(count={note}) stopped serving after that many polling "
        "passes (each up to its timeout, shorter while clients talk); the Controller serves "
        "until stop(): stop it where the program counted on the loop ending"
    )


def plain_loop(call: cst.Call) -> Tuple[bool, Optional[cst.BaseExpression]]:
    """A blocking ``asyncore.loop(timeout, use_poll, map)`` (a named map), and its count:
    none, or a long literal one (returned, for its note)."""
    positional = [a.value for a in call.args if a.keyword is None]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword}
    count = keywords.get("count", positional[3] if len(positional) > 3 else None)
    if count is not None and not long_count(count):
        return False, None
    given_map = keywords.get("map", positional[2] if len(positional) > 2 else None)
    plain = len(positional) <= 4 and not any(a.star for a in call.args)
    return plain and (given_map is None or dotted_name(given_map) is not None), count


def long_count(value: Optional[cst.BaseExpression]) -> bool:
    """A literal count of at least LONG_COUNT passes."""
    passes = value.evaluated_value if isinstance(value, cst.Integer) else None
    return isinstance(passes, int) and passes >= LONG_COUNT


def small_call(stmt: cst.BaseStatement) -> Optional[cst.Call]:
    """The call of a one-call statement line."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        expr = stmt.body[0]
        if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call):
            return expr.value
    return None


def sets_daemon(stmt: cst.BaseStatement) -> bool:
    """``self.daemon = True|False`` or ``self.setDaemon(True|False)``."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target, value = dotted_name(small.targets[0].target), small.value
    elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        if dotted_name(call.func) != "self.setDaemon" or len(call.args) != 1:
            return False
        target, value = "self.daemon", call.args[0].value
    else:
        return False
    return target == "self.daemon" and dotted_name(value) in ("True", "False")


def thread_method_call(stmt: cst.BaseStatement, method: str, names: LegacyNames) -> bool:
    """``threading.Thread.M(self, ...)``, ``super().M(...)`` or ``self.M(...)``."""
    call = small_call(stmt)
    if call is None or not isinstance(call.func, cst.Attribute):
        return False
    if call.func.attr.value != method or any(a.star for a in call.args):
        return False
    owner = call.func.value
    if isinstance(owner, (cst.Name, cst.Attribute)) and names.is_thread_class(owner):
        return bool(call.args) and dotted_name(call.args[0].value) == "self"
    if isinstance(owner, cst.Call):
        return dotted_name(owner.func) == "super" and not owner.args
    return method == "join" and dotted_name(owner) == "self"


def closes(stmt: cst.BaseStatement, names: LegacyNames) -> bool:
    """``self.close()`` or ``asyncore.close_all()``."""
    call = small_call(stmt)
    if call is None or call.args:
        return False
    return (
        dotted_name(call.func) == "self.close"
        or names.legacy_name(call.func) == "asyncore.close_all"
    )


class ThreadAnalysis:
    """Fills a ThreadPlan from one class body."""

    def __init__(self, node: cst.ClassDef, names: LegacyNames) -> None:
        self.plan = ThreadPlan(node)
        self.names = names
        self.flag: Optional[str] = None
        self.lock: Optional[str] = None
        self.blocking = False  # run() is one blocking asyncore.loop(), not a polling one
        self.stop_name = "stop"  # the method that stops the thread (joins it)
        self.methods: Dict[str, cst.FunctionDef] = {
            s.name.value: s for s in block_body(node.body) if isinstance(s, cst.FunctionDef)
        }

    def why(self, reason: str, node: Optional[cst.CSTNode] = None) -> None:
        """Record a reason, at the node that causes it (else the class)."""
        self.plan.reasons.append(reason)
        self.plan.where.append(node if node is not None else self.plan.node)

    def stopping_method(self, joining: List[str]) -> str:
        """``stop``, else the one other method that joins the thread (``shutdown()``)."""
        if "stop" in self.methods:
            return "stop"
        return joining[0] if len(joining) == 1 else "stop"

    def joining_methods(self) -> List[str]:
        """The methods other than the life cycle's that join the thread."""
        return [
            name
            for name, method in self.methods.items()
            if name not in ("__init__", "run", "start")
            and stop_block(method.body, self.names) is not None
        ]

    def analyse(self) -> ThreadPlan:
        joining = self.joining_methods()
        self.stop_name = self.stopping_method(joining)
        stopped_by_close = not joining and not {self.stop_name, "close"} & set(self.methods)
        needed = ("__init__", "run") if stopped_by_close else ("__init__", "run", self.stop_name)
        for method in needed:
            if method not in self.methods:
                self.why(f"it has no {method}() method")
        if self.plan.reasons:
            return self.plan
        self.read_init(self.methods["__init__"])
        self.read_run(self.methods["run"])
        if "start" in self.methods:
            self.read_start(self.methods["start"])
        if stopped_by_close and not self.blocking:
            self.why(f"it has no {self.stop_name}() method (its run() is no blocking loop)")
        elif stopped_by_close:
            self.plan.close_stops = True  # the server's close() ended run()'s loop
        else:
            self.read_stop(self.methods[self.stop_name])
        if not self.plan.reasons:
            self.check_state_uses()
        return self.plan

    def read_init(self, init: cst.FunctionDef) -> None:
        calls = [s for s in block_body(init.body) if thread_method_call(s, "__init__", self.names)]
        call = small_call(calls[0]) if len(calls) == 1 else None
        func = call.func if call is not None else None
        if not (isinstance(func, cst.Attribute) and self.names.is_thread_class(func.value)):
            self.why(
                "__init__ does not call threading.Thread.__init__(self) once at its top level", init
            )
            return
        assert call is not None
        if any(a.keyword is None or a.keyword.value != "name" for a in call.args[1:]):
            self.why("threading.Thread.__init__ gets arguments other than name=", call)
            return
        self.plan.thread_init = calls[0]
        self.plan.daemon = [s for s in block_body(init.body) if sets_daemon(s)]

    def read_run(self, run: cst.FunctionDef) -> None:
        body = list(block_body(run.body))
        blocking = [i for i, s in enumerate(body) if self.blocking_loop(s)]
        if len(blocking) == 1 and len(run.params.params) == 1 and not self.polling_run(body):
            self.read_blocking_run(run, body, blocking[0])
            return
        loops = [i for i, s in enumerate(body) if isinstance(s, cst.While)]
        if len(loops) != 1 or len(run.params.params) != 1:
            self.why("run() is not one polling loop", run)
            return
        index = loops[0]
        loop = body[index]
        assert isinstance(loop, cst.While)
        prelude, postlude = body[:index], body[index + 1 :]
        if not self.polls(loop) or not all(closes(s, self.names) for s in postlude):
            self.why(
                "run() is not `while <flag>: asyncore.loop(timeout=..., count=1)` "
                "with only flag settings before it and closing after it",
                loop,
            )
            return
        if any(self.mentions_legacy(s) or isinstance(s, cst.Return) for s in prelude):
            self.why("run() does more than set its flag before the loop", run)
            return
        self.plan.run, self.plan.prelude = run, prelude
        self.plan.run_closes = bool(postlude)
        self.plan.closes_all = any(self.is_close_all(s) for s in postlude)

    def polling_run(self, body: List[cst.BaseStatement]) -> bool:
        return any(isinstance(s, cst.While) for s in body)

    def blocking_loop(self, stmt: cst.BaseStatement) -> bool:
        """``asyncore.loop(...)`` on the shared map with no count (or a long one, noted): it
        returns once closed."""
        call = small_call(stmt)
        if call is None or self.names.legacy_name(call.func) != "asyncore.loop":
            return False
        if any(a.star for a in call.args):
            return False
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword}
        positional = [a.value for a in call.args if a.keyword is None]
        keywords.update(zip(("timeout", "use_poll", "map", "count"), positional))
        if long_count(keywords.get("count")):
            self.plan.counted = keywords.pop("count")
        return all(dotted_name(keywords[k]) == "None" for k in ("map", "count") if k in keywords)

    def read_blocking_run(
        self, run: cst.FunctionDef, body: List[cst.BaseStatement], index: int
    ) -> None:
        """``run()`` is a blocking loop: it served until the server was closed (by stop())."""
        prelude, postlude = body[:index], body[index + 1 :]
        if not all(closes(s, self.names) for s in postlude):
            self.why("run() does more than close the server after its loop", run)
            return
        if any(self.mentions_legacy(s) or isinstance(s, cst.Return) for s in prelude):
            self.why("run() does more than set its state before the loop", run)
            return
        self.blocking = True
        self.plan.run, self.plan.prelude = run, prelude
        self.plan.run_closes = bool(postlude)
        self.plan.closes_all = any(self.is_close_all(s) for s in postlude)

    def polls(self, loop: cst.While) -> bool:
        """``while <flag>: asyncore.loop(timeout=T, count=1)``, maybe under ``with self.lock``."""
        if loop.orelse is not None or not isinstance(loop.body, cst.IndentedBlock):
            return False
        inner = list(block_body(loop.body))
        if len(inner) == 1 and isinstance(inner[0], cst.With) and len(inner[0].items) == 1:
            lock = dotted_name(inner[0].items[0].item)
            if lock is None or not lock.startswith("self.") or inner[0].items[0].asname:
                return False
            self.lock = lock.split(".", 1)[1]
            if not isinstance(inner[0].body, cst.IndentedBlock):
                return False
            inner = list(block_body(inner[0].body))
        call = small_call(inner[0]) if len(inner) == 1 else None
        if call is None or not is_polling_call(call, self.names):
            return False
        self.flag = flag_of(loop.test, self.names)
        return self.flag is not None

    def read_start(self, start: cst.FunctionDef) -> None:
        calls = [s for s in block_body(start.body) if thread_method_call(s, "start", self.names)]
        if len(calls) != 1 or len(small_call(calls[0]).args) > 1:  # type: ignore[union-attr]
            self.why(
                "start() does not call threading.Thread.start(self) once at its top level", start
            )
            return
        self.plan.start_call = calls[0]

    def read_stop(self, stop: cst.FunctionDef) -> None:
        block = stop_block(stop.body, self.names)
        if block is None:
            self.why("stop() does not join the thread once, in one block with its closing", stop)
            return
        statements = [
            s for s in block if thread_method_call(s, "join", self.names) or closes(s, self.names)
        ]
        if self.blocking:
            self.read_blocking_stop(stop, statements)
            return
        if self.flag is None:  # run() was not a polling loop: that reason says it all
            return
        first = block.index(statements[0])
        if not any(self.flag in names_in(s) for s in block[:first]):
            self.why(f"stop() does not change self.{self.flag} before it joins the thread", stop)
            return
        if not self.plan.run_closes and not any(closes(s, self.names) for s in statements):
            self.why("the server is never closed (smtpd left it bound): stop() would differ", stop)
            return
        self.plan.closes_all |= any(self.is_close_all(s) for s in statements)
        self.plan.stop_statements = statements

    def read_blocking_stop(
        self, stop: cst.FunctionDef, statements: List[cst.BaseStatement]
    ) -> None:
        """The server is closed before the join: the blocking loop returned, the join with it."""
        join = next(
            i for i, s in enumerate(statements) if thread_method_call(s, "join", self.names)
        )
        if not any(closes(s, self.names) for s in statements[:join]):
            self.why("stop() does not close the server before it joins the loop's thread", stop)
            return
        self.plan.closes_all |= any(self.is_close_all(s) for s in statements)
        self.plan.stop_statements = statements

    def check_state_uses(self) -> None:
        """The flag and the lock belong to the loop: nothing else may read or change them."""
        lifecycle = {"__init__", "run", "start", self.stop_name}
        if "controller" in names_in(self.plan.node):
            self.why("it has a self.controller of its own")
        for name, method in self.methods.items():
            used = names_in(method)
            if name not in lifecycle and self.flag in used:
                self.why(f"{name}() uses the loop's flag self.{self.flag}", method)
        if self.lock is not None:
            count = sum(names_in(m).count(self.lock) for m in self.methods.values())
            if count != 2:
                self.why(f"the loop's lock self.{self.lock} is used elsewhere")

    def is_close_all(self, stmt: cst.BaseStatement) -> bool:
        call = small_call(stmt)
        return call is not None and self.names.legacy_name(call.func) == "asyncore.close_all"

    def mentions_legacy(self, node: cst.CSTNode) -> bool:
        finder = LegacyUse(self.names)
        node.visit(finder)
        return finder.found


LOOP_THREAD = "threading.Thread(target=asyncore.loop)"
LOOP_SUBMITTED = "executor.submit(asyncore.loop)"


def loop_target(call: cst.Call, names: LegacyNames) -> Optional[cst.Arg]:
    """The argument that gives a thread smtpd's loop to run: a Thread's ``target=``, or the
    callable of an executor's ``submit(fn, *args)`` (a ThreadPoolExecutor's worker ran it)."""
    for arg in call.args:
        if arg.keyword and arg.keyword.value == "target":
            return arg if loop_target_arguments(arg.value, names) is not None else None
    if not isinstance(call.func, cst.Attribute) or call.func.attr.value != "submit":
        return None
    first = call.args[0] if call.args else None
    if first is None or first.keyword is not None or any(a.star for a in call.args):
        return None
    return first if loop_target_arguments(first.value, names) is not None else None


def loop_thread_label(target: cst.Arg) -> str:
    """How reports name a loop thread: by the form the program wrote."""
    return LOOP_THREAD if target.keyword is not None else LOOP_SUBMITTED


def loop_target_arguments(
    target: cst.BaseExpression, names: LegacyNames
) -> Optional[List[cst.Arg]]:
    """What a thread's ``target=`` passes asyncore.loop by itself, or None for other targets.

    ``asyncore.loop`` (nothing: the thread's ``args=``/``kwargs=`` say), ``lambda:
    asyncore.loop(timeout=1)`` and ``functools.partial(asyncore.loop, timeout=1)`` (their
    arguments). Star-arguments are not read.
    """
    if names.legacy_name(target) == "asyncore.loop":
        return []
    if isinstance(target, cst.Lambda) and isinstance(target.body, cst.Call):
        params = target.params
        no_params = not (params.params or params.posonly_params or params.kwonly_params)
        no_params &= not isinstance(params.star_arg, cst.Param) and params.star_kwarg is None
        call = target.body
        if no_params and names.legacy_name(call.func) == "asyncore.loop":
            return None if any(a.star for a in call.args) else list(call.args)
    if isinstance(target, cst.Call) and dotted_name(target.func) == "functools.partial":
        args = list(target.args)
        if args and args[0].keyword is None and not any(a.star for a in args):
            if names.legacy_name(args[0].value) == "asyncore.loop":
                return args[1:]
    return None


def socket_map_operands(test: cst.BaseExpression, names: LegacyNames) -> List[cst.BaseExpression]:
    """``asyncore.socket_map`` as the condition or an operand of its top ``and`` chain
    (``while asyncore.socket_map and running:``, ``while len(asyncore.socket_map):``):
    "the server is still open"."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return socket_map_operands(test.left, names) + socket_map_operands(test.right, names)
    tested = map_tested(test)
    return [test] if names.legacy_name(tested) == "asyncore.socket_map" else []


def map_tested(test: cst.BaseExpression) -> cst.BaseExpression:
    """The map a "not empty" test reads: ``m``, ``len(m)``, ``len(m) > 0`` (``!= 0``,
    ``>= 1``) all test ``m``; anything else is itself."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        bound = target.comparator
        number = bound.value if isinstance(bound, cst.Integer) else None
        nonempty = (isinstance(target.operator, (cst.GreaterThan, cst.NotEqual)), number) in (
            (True, "0"),
        ) or (isinstance(target.operator, cst.GreaterThanEqual) and number == "1")
        if not nonempty or not is_len_call(test.left):
            return test
        test = test.left
    if is_len_call(test):
        assert isinstance(test, cst.Call)
        return test.args[0].value
    return test


def is_len_call(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "len"
        and len(node.args) == 1
        and not node.args[0].star
        and node.args[0].keyword is None
    )


def drains_map(
    call: cst.Call, test: cst.BaseExpression, names: LegacyNames, shared: Optional[str] = None
) -> bool:
    """``while asyncore.socket_map: asyncore.loop(timeout=T)``: a blocking loop (no count,
    the shared map) under a condition that only tests asyncore's map (or ``shared``, its local
    name). The inner loop returned only once the map was empty, so the two are one blocking
    loop that ends when the server closes: it converts as a polling loop over the map."""
    if names.legacy_name(call.func) != "asyncore.loop" or any(a.star for a in call.args):
        return False
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword}
    positional = [a.value for a in call.args if a.keyword is None]
    keywords.update(zip(("timeout", "use_poll", "map", "count"), positional))
    if "count" in keywords or len(positional) > 3:
        return False
    if "map" in keywords and dotted_name(keywords["map"]) not in ("None", shared):
        return False
    tested = map_tested(test)
    return names.legacy_name(tested) == "asyncore.socket_map" or (
        shared is not None and dotted_name(tested) == shared
    )


def reads_legacy_state(test: cst.BaseExpression, names: LegacyNames) -> bool:
    """A polling loop's condition reads smtpd/asyncore besides ``socket_map_operands``."""
    finder = LegacyUse(names, skipped={id(n) for n in socket_map_operands(test, names)})
    test.visit(finder)
    return finder.found


def is_polling_call(call: cst.Call, names: LegacyNames, shared: Optional[str] = None) -> bool:
    """``asyncore.loop(timeout, use_poll, map, count)`` with count 1 and no map.

    ``shared`` is a local name for asyncore's own map (``socket_map_alias``): passing it
    is passing no map.
    """
    if names.legacy_name(call.func) != "asyncore.loop" or any(a.star for a in call.args):
        return False
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword}
    positional = [a.value for a in call.args if a.keyword is None]
    keywords.update(zip(("timeout", "use_poll", "map", "count"), positional))
    shared_map = "map" in keywords and dotted_name(keywords["map"]) in ("None", shared)
    if "map" in keywords and not shared_map or len(positional) > 4:
        return False
    count = keywords.get("count")
    return isinstance(count, cst.Integer) and count.value == "1"


def socket_map_alias(function: cst.CSTNode, names: LegacyNames) -> Optional[cst.If]:
    """``if m is None: m = asyncore.socket_map`` at the top of a function, ``m`` a parameter.

    Such a function polls asyncore's shared map under the name ``m`` (the default); the
    polling loop may follow inside the ``if``.
    """
    if not isinstance(function, cst.FunctionDef):
        return None
    params = {p.name.value for p in function.params.params if p.default is not None}
    m = cst.matchers
    for stmt in block_body(function.body):
        if not isinstance(stmt, cst.If) or stmt.orelse is not None:
            continue
        name = alias_name(stmt)
        if name is None:
            continue
        inner = block_body(stmt.body)
        assigned = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name(name))])])
        if name not in params or not inner or not m.matches(inner[0], assigned):
            continue
        line = inner[0]
        assert isinstance(line, cst.SimpleStatementLine) and isinstance(line.body[0], cst.Assign)
        if names.legacy_name(line.body[0].value) == "asyncore.socket_map":
            return stmt
    return None


def alias_name(alias: Optional[cst.If]) -> Optional[str]:
    """The name ``m`` an ``if m is None:`` tests (the local name of asyncore's map)."""
    test = alias.test if alias is not None else None
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    compared = test.comparisons[0]
    if not isinstance(compared.operator, cst.Is) or dotted_name(compared.comparator) != "None":
        return None
    return dotted_name(test.left)


def polling_timeout(call: cst.Call) -> Optional[cst.BaseExpression]:
    """The timeout argument of a polling ``asyncore.loop`` call (None: asyncore's 30.0)."""
    for position, arg in enumerate(call.args):
        if (arg.keyword and arg.keyword.value == "timeout") or (
            arg.keyword is None and position == 0
        ):
            return arg.value
    return None


def flag_of(test: cst.BaseExpression, names: LegacyNames) -> Optional[str]:
    """The ``self.<flag>`` a loop condition tests (``and asyncore.socket_map`` allowed)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        if names.legacy_name(test.right) == "asyncore.socket_map":
            test = test.left
        elif names.legacy_name(test.left) == "asyncore.socket_map":
            test = test.right
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    if isinstance(test, cst.Call) and not test.args and isinstance(test.func, cst.Attribute):
        if test.func.attr.value != "is_set":
            return None
        test = test.func.value
    name = dotted_name(test)
    if name is None or name.count(".") != 1 or not name.startswith("self."):
        return None
    return name.split(".")[1]


def stop_block(body: cst.BaseSuite, names: LegacyNames) -> Optional[List[cst.BaseStatement]]:
    """The one block of stop() (its body or a nested if's) that joins the thread once."""
    if not isinstance(body, cst.IndentedBlock):
        return None
    statements = list(body.body)
    joins = [s for s in statements if thread_method_call(s, "join", names)]
    if len(joins) == 1:
        return statements
    found = [
        block
        for s in statements
        if isinstance(s, cst.If) and s.orelse is None
        for block in [stop_block(s.body, names)]
        if block is not None
    ]
    return found[0] if len(found) == 1 and not joins else None


def declares_global(function: cst.CSTNode, name: Optional[str]) -> bool:
    """``global <name>`` in a function: what it assigns to ``name`` is the module's."""
    if not isinstance(function, cst.FunctionDef) or name is None or "." in name:
        return False
    m = cst.matchers
    declared = m.findall(function.body, m.Global())
    return any(
        item.name.value == name for d in declared if isinstance(d, cst.Global) for item in d.names
    )


def names_in(node: cst.CSTNode) -> List[str]:
    """The attribute names read on ``self`` in a node, with repeats."""
    collector = SelfNames()
    node.visit(collector)
    return collector.names


class SelfNames(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: List[str] = []

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            self.names.append(node.attr.value)


class LegacyUse(cst.CSTVisitor):
    def __init__(self, names: LegacyNames, skipped: Optional[Set[int]] = None) -> None:
        self.names = names
        self.found = False
        self.skipped = skipped or set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) not in self.skipped and super().on_visit(node)

    def visit_Name(self, node: cst.Name) -> None:
        self.found |= node.value in self.names.table


def analyse_thread(node: cst.ClassDef, names: LegacyNames) -> ThreadPlan:
    return ThreadAnalysis(node, names).analyse()


def skipped_ids(plan: ThreadPlan) -> Set[int]:
    return {id(n) for n in plan.rewritten}

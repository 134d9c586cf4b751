"""Rule ``thread``: Thread subclasses and polling loops start and stop a Controller.

Guide section: "Rule thread: Thread subclasses and polling loops".

A ``(smtpd.SMTPServer, threading.Thread)`` class in the shape ``_threads``
accepts loses its Thread base and its ``run()``; its ``__init__`` binds a
``BoundController`` at once where smtpd bound (``self.controller``; the bound
socket stays ``self.socket``), the thread's start becomes ``run()``'s flag
settings plus ``self.controller.start()``, and ``stop()`` joins and closes by
``self.controller.stop()``. The class keeps its other methods and state.

A module-level ``while <flag>: asyncore.loop(timeout=T, count=1)`` becomes the
controllers' ``start()`` and ``while <flag>: time.sleep(T)``: the flag is still
polled as often, the Controller serves on its own thread meanwhile.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst

from smtpd_compat.codemod._build import (
    assign_call,
    block_body,
    code_of,
    expression,
    keep_leading_lines,
    statement,
)
from smtpd_compat.codemod._names import LegacyNames, dotted_name
from smtpd_compat.codemod._plan import (
    DISPATCHER_ATTRS,
    SECTION_CHANGES,
    SECTION_THREAD,
    Plan,
    Poll,
    ServerClass,
)
from smtpd_compat.codemod._planner import Planner, uses_in_scope
from smtpd_compat.codemod._rule import Result, Rule
from smtpd_compat.codemod._threads import (
    THREAD_ATTRS,
    alias_name,
    counted_passes,
    map_tested,
    socket_map_operands,
)
from smtpd_compat.codemod.rules.startup import (
    ATTRIBUTE_FOR,
    BOUND_CONTROLLER_IMPORTS,
    CONTROLLER_IMPORTS,
    controller_at,
    loop_executor,
    server_options,
    stop_call,
)

# A Thread subclass that was not a daemon kept the process alive until stop().
NOT_A_DAEMON = (
    "the process no longer waits at exit for this class's thread to be stopped (it was not "
    "a daemon; aiosmtpd's Controller thread is one): call stop() before the program ends "
    "if it relied on that"
)
RULE = Rule("thread", "Thread subclasses and polling loops drive a Controller", SECTION_THREAD)


@RULE.analysis
def check_thread_uses(planner: Planner, module: cst.Module) -> None:
    """Instances of converted thread classes lose the Thread and dispatcher surface."""
    plan = planner.plan
    for attribute in planner.attributes:
        server = planner.thread_targets_of.get(dotted_name(attribute.value) or "")
        if server is None or server.thread is None:
            continue
        body = block_body(server.node.body)
        defined = {s.name.value for s in body if isinstance(s, cst.FunctionDef)}
        if server.thread.close_stops:
            defined.add("close")  # written into the class (CLOSE_STOPS)
        if attribute.attr.value in (THREAD_ATTRS | DISPATCHER_ATTRS) - {"socket"} - defined:
            planner.block(
                attribute,
                f"{dotted_name(attribute)} is the thread's or the dispatcher's: "
                "the converted class has no such attribute",
                SECTION_THREAD,
            )
    for server in plan.thread_servers:
        counted = server.thread.counted if server.thread else None
        if counted is not None:  # run()'s loop
            planner.add_note(counted, counted_passes(code_of(counted)), SECTION_CHANGES)
        daemon = server.thread.daemon if server.thread else []
        if not any("True" in code_of(s) for s in daemon):
            planner.add_note(server.node, NOT_A_DAEMON, SECTION_CHANGES)
    closes_all = any(s.thread and s.thread.closes_all for s in plan.thread_servers)
    others = len(plan.servers) > 1 or plan.instances or planner.thread_instances > 1
    if closes_all and others:
        planner.block(
            plan.thread_servers[0].node,
            "asyncore.close_all() in a thread class closed the other servers too",
            SECTION_THREAD,
        )


@RULE.analysis
def check_polls_close(planner: Planner, module: cst.Module) -> None:
    """After a polling loop the legacy server stopped serving: it must be closed."""
    plan = planner.plan
    closed = {id(i) for i in plan.closes.values()}
    for poll in plan.polls:
        served = plan.served.get(id(poll.loop), [])
        if not plan.close_alls and any(id(i) not in closed for i in served):
            if ends_only_by_exception(poll.loop):
                planner.add_note(poll.loop, SERVES_AFTER_EXCEPTION, SECTION_CHANGES)
                continue
            plan.stops_after_poll[id(poll.loop)] = [i for i in served if id(i) not in closed]
            planner.add_note(poll.loop, STOPPED_AFTER_POLL, SECTION_CHANGES)


STOPPED_AFTER_POLL = (
    "nothing closes a server this polling loop served: the converted code stops its"
    " controller after the loop, where smtpd stopped serving it, and that closes the"
    " listening socket (smtpd's stayed bound, unanswered, until the program exited: a client"
    " connecting after the loop now gets a refusal instead of waiting)"
)


SERVES_AFTER_EXCEPTION = (
    "when an exception (Ctrl+C) ends this `while True` polling loop, the controller serves"
    " on until the program exits (smtpd's server was no longer served once its loop ended):"
    " stop the controller in the handler if the program goes on after it"
)


def ends_only_by_exception(loop: cst.While) -> bool:
    """``while True:`` with no ``break``: only an exception leaves it (a Ctrl+C, an error)."""
    m = cst.matchers
    return m.matches(loop.test, m.Name("True")) and not m.findall(loop.body, m.Break())


@RULE.analysis
def check_polls_of_the_shared_map(planner: Planner, module: cst.Module) -> None:
    """``while m and ...`` over asyncore's map ``m`` (``asyncore.socket_map``, or a local
    name for it): one server, ``m`` read only there."""
    plan = planner.plan
    for poll in plan.polls:
        if socket_map_operands(poll.loop.test, plan.names):
            served = plan.served.get(id(poll.loop), [])
            if len(served) != 1:
                planner.block(
                    poll.loop,
                    "the polling loop tests asyncore.socket_map over more than one server",
                    SECTION_THREAD,
                )
            for instance in served:
                instance.bound = True  # its stopped event stands for the emptied map
        name = alias_name(poll.alias)
        if name is None:
            continue
        served = plan.served.get(id(poll.loop), [])
        function = planner.scope_of(poll.loop)
        uses = uses_in_scope(function, name)
        operands = map_operands(poll.loop.test, name)
        # the parameter, the alias ``if`` (twice), the loop's map= and the condition's operands
        if len(served) != 1 or uses != 4 + operands:
            planner.block(
                poll.loop,
                f"the polling loop reads asyncore's map as {name} other than as "
                f"`while {name} and ...` over one server",
                SECTION_THREAD,
            )
            continue
        served[0].bound = True  # its stopped event stands for the emptied map
        assert poll.alias is not None
        inside = block_body(poll.alias.body)  # the assignment, maybe the loop after it
        plan.dropped.append(poll.alias if len(inside) == 1 else inside[0])


def map_operands(test: cst.BaseExpression, name: str) -> int:
    """How often ``name`` is an operand of the condition's top ``and`` chain."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return map_operands(test.left, name) + map_operands(test.right, name)
    return 1 if dotted_name(map_tested(test)) == name else 0


class MapOperand(cst.CSTTransformer):
    """The map's operand becomes "the controller was not stopped" (smtpd: the map emptied):
    the local name ``name`` for it, or ``asyncore.socket_map`` itself (which the planner let
    through only as an operand of the condition's top ``and`` chain)."""

    def __init__(self, name: Optional[str], controller: str, names: LegacyNames) -> None:
        super().__init__()
        self.name, self.controller, self.names = name, controller, names

    def is_map(self, node: cst.BaseExpression) -> bool:
        return self.names.legacy_name(node) == "asyncore.socket_map"

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if original_node.value == self.name or self.is_map(original_node):
            return self.not_stopped()
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        return self.not_stopped() if self.is_map(original_node) else updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        return self.whole_test(original_node, updated_node)

    def leave_Comparison(
        self, original_node: cst.Comparison, updated_node: cst.Comparison
    ) -> cst.BaseExpression:
        return self.whole_test(original_node, updated_node)

    def whole_test(
        self, original_node: cst.BaseExpression, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        """``len(m)``, ``len(m) > 0``: the whole test is "not stopped", not only ``m``."""
        tested = map_tested(original_node)
        if tested is original_node:
            return updated_node
        if dotted_name(tested) == self.name or self.is_map(tested):
            return self.not_stopped()
        return updated_node

    def not_stopped(self) -> cst.BaseExpression:
        return expression(f"not {self.controller}.stopped.is_set()")


@RULE.on(cst.If)
def drop_map_alias(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """``if map is None: map = asyncore.socket_map`` goes with the polling loop."""
    if plan.convert and any(d is original for d in plan.dropped):
        return cst.RemovalSentinel.REMOVE
    return updated


@RULE.needed_when
def has_threads_or_polls(plan: Plan) -> bool:
    return bool(plan.thread_servers or plan.polls)


DEFAULT_TIMEOUT = "30.0"  # asyncore.loop's
FORWARDED_OPTIONS = ("data_size_limit", "enable_SMTPUTF8", "decode_data")


def controller_statements(plan: Plan, server: ServerClass, me: str) -> List[cst.BaseStatement]:
    """Where smtpd.SMTPServer.__init__ bound: bind a controller and keep its socket."""
    plan.imports.update({*CONTROLLER_IMPORTS, *BOUND_CONTROLLER_IMPORTS})
    stored: Dict[str, cst.BaseExpression] = {}
    if server.forwards:  # smtpd_server_attributes (rule init) stored what the instance passed
        stored = {p: expression(f"{me}.{ATTRIBUTE_FOR[p]}") for p in FORWARDED_OPTIONS}
    options = server_options(plan, server, me, stored)
    args = [me, f"{me}._localaddr", *options]
    return [
        statement(assign_call(f"{me}.controller", server.controller_class, args, indent=8)),
        statement(f"{me}.socket = {me}.controller.socket  # bound, as smtpd.SMTPServer's was\n"),
    ]


def thread_of(plan: Plan, node: cst.CSTNode) -> ServerClass | None:
    return next((s for s in plan.thread_servers if s.node is node), None)


def started(server: ServerClass) -> List[cst.BaseStatement]:
    """run()'s flag settings, then the controller's start (the thread's start)."""
    assert server.thread is not None
    return [*server.thread.prelude, statement("self.controller.start()\n")]


@RULE.on(cst.SimpleStatementLine)
def rewrite_lifecycle(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not isinstance(original, cst.SimpleStatementLine):
        return updated
    for server in plan.thread_servers:
        thread = server.thread
        assert thread is not None
        if original is thread.thread_init or any(original is d for d in thread.daemon):
            return cst.RemovalSentinel.REMOVE
        if original is thread.start_call:
            return cst.FlattenSentinel(keep_leading_lines(original, started(server)))
        if thread.stop_statements and original is thread.stop_statements[0]:
            return keep_leading_lines(original, [statement("self.controller.stop()\n")])[0]
        if any(original is s for s in thread.stop_statements):
            return cst.RemovalSentinel.REMOVE
    return updated


@RULE.on(cst.FunctionDef)
def replace_run(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not isinstance(updated, cst.FunctionDef):
        return updated
    server = next((s for s in plan.thread_servers if s.thread and s.thread.run is original), None)
    if server is None or server.thread is None:
        return updated
    if server.thread.start_call is not None:
        return cst.RemovalSentinel.REMOVE
    start = statement("def start(self):\n    pass\n")
    assert isinstance(start, cst.FunctionDef)
    body = start.body.with_changes(body=started(server))
    return start.with_changes(body=body, leading_lines=updated.leading_lines)


CLOSE_STOPS = """\
def close(self):
    # smtpd.SMTPServer's close() ended the loop this class's thread ran: stop the controller
    self.controller.stop()
"""


@RULE.on(cst.ClassDef)
def drop_thread_base(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    server = thread_of(plan, original) if plan.convert else None
    if server is None:
        return updated
    assert isinstance(updated, cst.ClassDef)
    if server.thread is not None and server.thread.close_stops:
        close = statement(CLOSE_STOPS).with_changes(leading_lines=[cst.EmptyLine(indent=False)])
        body = updated.body.with_changes(body=[*updated.body.body, close])
        updated = updated.with_changes(body=body)
    bases = [b for b in updated.bases if not plan.names.is_thread_class(b.value)]
    if bases:
        bases[-1] = bases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(bases=bases)
    return updated.with_changes(
        bases=[], lpar=cst.MaybeSentinel.DEFAULT, rpar=cst.MaybeSentinel.DEFAULT
    )


@RULE.on(cst.ClassDef)
def drop_unused_server_base(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """A Thread subclass that never initialised its smtpd base loses it (_vestigial)."""
    if not plan.convert or not any(c is original for c in plan.unused_server_bases):
        return updated
    assert isinstance(updated, cst.ClassDef)
    bases = [b for b in updated.bases if plan.names.is_thread_class(b.value)]
    return updated.with_changes(
        bases=[b.with_changes(comma=cst.MaybeSentinel.DEFAULT) for b in bases]
    )


def poll_of(plan: Plan, node: cst.CSTNode) -> Poll | None:
    return next((p for p in plan.polls if p.loop is node), None)


def poll_wait(plan: Plan, executor: Optional[str], timeout: str) -> str:
    """The poll's line becomes one pass of its servers' executor (rule handler): it runs
    their process_message calls on this thread, as smtpd's pass did; a sleep where no
    executor is made (no process_message of the program's own runs)."""
    if executor is not None:
        return f"{executor}.serve_once({timeout})  # runs process_message here\n"
    plan.imports.add(("time", None))
    return f"time.sleep({timeout})  # smtpd served here; the controller serves alone\n"


@RULE.on(cst.While)
def replace_poll(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    poll = poll_of(plan, original) if plan.convert else None
    if poll is None or not isinstance(updated, cst.While) or not isinstance(original, cst.While):
        return updated
    timeout = code_of(poll.timeout) if poll.timeout is not None else DEFAULT_TIMEOUT
    executor = loop_executor(plan, plan.served[id(original)])
    wait = statement(poll_wait(plan, executor, timeout))
    assert isinstance(updated.body, cst.IndentedBlock)
    assert isinstance(original.body, cst.IndentedBlock)
    body: List[cst.BaseStatement] = [wait]
    if poll.call_line is not None:  # the loop's line waits, the other work stays
        pairs = zip(original.body.body, updated.body.body)
        body = [wait if was is poll.call_line else now for was, now in pairs]
    loop = updated.with_changes(body=updated.body.with_changes(body=body))
    controllers = [controller_at(plan, original, i) for i in plan.served[id(original)]]
    name = alias_name(poll.alias)
    if name is not None or socket_map_operands(original.test, plan.names):
        loop = loop.with_changes(test=loop.test.visit(MapOperand(name, controllers[0], plan.names)))
    starts = [statement(f"{c}.start()\n") for c in controllers]
    if executor is not None:  # a message before the first pass waits for it, as in smtpd
        starts.insert(0, statement(f"{executor}.start_polling()\n"))
    loop = loop.with_changes(leading_lines=[])
    unclosed = plan.stops_after_poll.get(id(original), [])
    stops = [statement(f"{stop_call(plan, original, i)}\n") for i in unclosed]
    return cst.FlattenSentinel(keep_leading_lines(original, [*starts, loop, *stops]))

"""Rule ``startup``: ``Server(...)`` plus ``asyncore.loop()`` becomes a Controller.

Guide section: "Rule startup: asyncore.loop becomes a Controller".

``server = Server(localaddr, remoteaddr, ...)`` becomes the handler plus a
``server_controller``: a ``LongLinesController`` (aiosmtpd's ``Controller`` whose
sessions take message lines of any length within ``data_size_limit``, as smtpd's
did, through public API), or, where the program needs the bound port (port 0,
``server.socket``) or the address is computed, a ``BoundController`` that binds at
once as smtpd did. ``asyncore.loop()``
becomes ``start()`` and a blocking wait; a ``Thread(target=asyncore.loop)``
starts the controller instead; ``server.close()`` and ``asyncore.close_all()``
become ``stop()``. ``enable_SMTPUTF8`` is always passed (the Controller would
turn it on), ``data_size_limit`` carries over. Each loop starts the servers of
its own block. aiosmtpd's session log (``mail.log``) is kept out of the
program's log, as smtpd logged nothing. ``BoundController`` checks the aiosmtpd
version whose internals it uses, and its start/stop are safe in any order.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst
import libcst.matchers
from libcst.metadata import ParentNodeProvider

from smtpd_compat.codemod._build import (
    LINE_LENGTH,
    assign_call,
    code_of,
    expression,
    insert_helpers,
    keep_leading_lines,
    statement,
)
from smtpd_compat.codemod._close import CONTROLLER_ATTRIBUTE
from smtpd_compat.codemod._listen import listen_call
from smtpd_compat.codemod._map_reads import (
    bound_name,
    follows,
    map_values_call,
    only_socket_read,
    read_dispatcher,
    the_server,
)
from smtpd_compat.codemod._maps import check_socket_maps, check_thread_counts, closed_by
from smtpd_compat.codemod._names import dotted_name
from smtpd_compat.codemod._plan import (
    LEGACY_ATTRS,
    SECTION_CHANGES,
    SECTION_STARTUP,
    SHARED_EXECUTOR,
    Instance,
    Plan,
    ServerClass,
)
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._rule import Result, Rule
from smtpd_compat.codemod._serving import (
    Holder,
    Tracker,
    dispatcher_reads,
    reached_holder,
    runs_during_creation,
    started_in_init,
    untracked_uses,
    why_not_started_in_init,
)
from smtpd_compat.codemod._threads import (
    counted_passes,
    names_in,
    plain_loop,
    small_call,
)
from smtpd_compat.codemod.rules.auth import controller_options

RULE = Rule("startup", "asyncore.loop start-up and shutdown become a Controller", SECTION_STARTUP)


CLEARED_MAP = (
    "asyncore.socket_map.clear() ended smtpd's loop but left the listening socket open "
    "(a client connecting later waited for a greeting) and open sessions unanswered; the "
    "controller's stop() closes the socket (a later client is refused) and ends the sessions"
)


@RULE.analysis
def clear_shared_map(planner: Planner, module: cst.Module) -> None:
    """``asyncore.socket_map.clear()`` ended every loop of the shared map: stop its servers."""
    for call in planner.calls:
        if planner.legacy(call.func) != "asyncore.socket_map.clear" or call.args:
            continue
        statement = planner.statement_of(call)
        if statement is None or not isinstance(statement.body[0], cst.Expr):
            continue  # left: its report names it
        if id(statement) in planner.in_threads or planner.inside_thread_run(call):
            continue
        planner.plan.close_alls.append(statement)
        planner.add_note(statement, CLEARED_MAP, SECTION_CHANGES)
        for instance in closed_by(planner.plan, statement):
            instance.bound = True  # a BoundController's stop() is safe twice, as close() was
        if not closed_by(planner.plan, statement):
            planner.block(
                call,
                "asyncore.socket_map.clear() empties a map no server of this module is on",
                SECTION_STARTUP,
            )


@RULE.analysis
def socket_maps(planner: Planner, module: cst.Module) -> None:
    """A private map= converts where it only keeps the one server apart; no loop count."""
    check_socket_maps(planner)
    check_thread_counts(planner)


@RULE.analysis
def read_the_server_through_the_map(planner: Planner, module: cst.Module) -> None:
    """``for d in list(asyncore.socket_map.values()): print(d.socket...)`` right after the
    module's one server is made: the map held that server alone (_map_reads)."""
    instance = the_server(planner.plan.instances, planner.thread_instances)
    names = planner.plan.names
    for call in [c for c in planner.calls if instance and map_values_call(c, names)]:
        assert instance is not None
        line: cst.CSTNode = call
        while not isinstance(line, (cst.For, cst.SimpleStatementLine, cst.Module)):
            line = planner.get_metadata(ParentNodeProvider, line)
        name = read_dispatcher(line, call)
        block = planner.get_metadata(ParentNodeProvider, line, None)
        body = list(getattr(block, "body", ()))
        if name is None or not follows(body, instance.statement, line):
            continue
        if only_socket_read(planner.scope_of(line), name, bound_name(line)):
            planner.plan.map_reads[call] = instance
            instance.bound = True  # its socket is read before it serves


@RULE.analysis
def publish_awaited_servers(planner: Planner, module: cst.Module) -> None:
    """``self.server = Server(...)`` in a Thread's run() or target, read through its owner
    elsewhere (``thread.server``, often polled until it is not None): the other thread may
    read it the moment it is assigned, and smtpd's server had its socket by then, so the
    handler is made under a local name and assigned once its socket is set."""
    targets = thread_targets(planner, module)
    for instance in planner.plan.instances:
        target = instance.target or ""
        if instance.read_outside is None or not target.startswith("self."):
            continue
        if target.count(".") != 1 or instance.starts_itself or instance.returned:
            continue
        scope = planner.scope_of(instance.statement)
        if not runs_on_its_thread(planner, targets, scope):
            continue
        local = target[len("self.") :]
        if not names_variable(scope, local):
            instance.staged = local


def runs_on_its_thread(planner: Planner, targets: Set[str], scope: cst.CSTNode) -> bool:
    """``scope`` runs beside the code that waits for it: the run() of a threading.Thread
    subclass, or a function a Thread is given as its target (``target=run_server``)."""
    if not isinstance(scope, cst.FunctionDef):
        return False
    if scope.name.value in targets:
        return True
    owner = planner.class_of(scope)
    if owner is None or scope.name.value != "run":
        return False
    return any(planner.plan.names.is_thread_class(base.value) for base in owner.bases)


def thread_targets(planner: Planner, module: cst.Module) -> Set[str]:
    """Names of the functions and methods given to ``threading.Thread(target=...)``: a
    method of any object (``target=fixture.start``) counts by its name."""
    m = cst.matchers
    found = set()
    target_arg = m.Arg(keyword=m.Name("target"))
    for call in m.findall(module, m.Call(args=[m.ZeroOrMore(), target_arg, m.ZeroOrMore()])):
        assert isinstance(call, cst.Call)
        if not planner.plan.names.is_thread_class(call.func):
            continue
        target = next(a.value for a in call.args if a.keyword and a.keyword.value == "target")
        if isinstance(target, cst.Name):
            found.add(target.value)
        elif isinstance(target, cst.Attribute):
            found.add(target.attr.value)
    return found


def names_variable(scope: cst.CSTNode, name: str) -> bool:
    """True when ``name`` is a variable anywhere in ``scope`` (attribute names aside)."""
    m = cst.matchers
    every = len(m.findall(scope, m.Name(name)))
    attributes = len(m.findall(scope, m.Attribute(attr=m.Name(name))))
    keywords = len(m.findall(scope, m.Arg(keyword=m.Name(name))))
    return every > attributes + keywords


@RULE.analysis
def serve_from_init(planner: Planner, module: cst.Module) -> None:
    """``Thread(target=asyncore.loop).start()`` in a server class's __init__, after its base
    call: the class binds its controller there and that thread starts it (_serving)."""
    for entry in list(planner.distant):
        site = entry[2]
        started = started_in_init(planner, site)
        if started is None:
            continue
        server, me = started
        planner.distant.remove(entry)
        reason = why_not_started_in_init(planner, server, site)
        if reason is not None:
            planner.block(site, reason, SECTION_STARTUP)
            continue
        assert isinstance(site, cst.Call)
        made = [i for i in planner.plan.instances if i.server is server]
        for instance in made:
            instance.bound = True  # the class's __init__ binds a BoundController
        server.loop_thread = site
        planner.plan.served[id(site)] = made
        planner.plan.controller_at[id(site)] = f"{me}.{CONTROLLER_ATTRIBUTE}"
        planner.add_loop_thread(site)


@RULE.analysis
def serve_distant_loops(planner: Planner, module: cst.Module) -> None:
    """Loops outside the block creating the server: follow the server to them, or block."""
    plan = planner.plan
    tracker = None
    if len(plan.instances) == 1 and not planner.thread_instances:
        tracker = Tracker(planner, plan.instances[0])
        tracker.track()
    for line, what, key in planner.distant:
        holder = reached_holder(planner, tracker, key) if tracker else None
        if tracker is not None and runs_during_creation(planner, tracker.instance, key):
            planner.block(
                line,
                f"{what} runs while the server is created (in its class's __init__), before "
                "it exists: its Controller can start only after the creation (start the "
                "loop there instead)",
                SECTION_STARTUP,
            )
            continue
        if tracker is not None and holder is None and unkept(planner, tracker, key):
            start_where_made(planner, tracker.instance, key)
            continue
        if tracker is None or holder is None:
            many = len(plan.instances) > 1 or planner.thread_instances
            planner.block(
                line,
                f"{what} does not follow the creation of a server in the same block"
                + (", and the module creates more than one" if many else "")
                + ("" if many else ", nor reaches the one this module creates"),
                SECTION_STARTUP,
            )
            continue
        serve(planner, tracker.instance, key, holder)
    if tracker is not None:
        stop_through_holders(planner, tracker)
    check_every_instance_served(planner)
    bind_loops_that_end(planner)
    for call in plan.threads:  # the thread waits on the BoundController's stopped event
        for instance in plan.served.get(id(call), []):
            instance.bound = True
    if plan.threads and SERVE_UNTIL_STOPPED_NAME in planner.name_uses:
        planner.block(
            plan.threads[0],
            f"the module has a name {SERVE_UNTIL_STOPPED_NAME} of its own: the converted loop "
            "thread runs a helper of that name",
            SECTION_STARTUP,
        )


@RULE.analysis
def find_late_loop_threads(planner: Planner, module: cst.Module) -> None:
    """``Thread(target=asyncore.loop)`` made before the server in the same function
    (``Thread.__init__`` first, then ``self.server = ...``): its controller does not
    exist yet there, so the thread's target reads it when the thread runs."""
    plan = planner.plan
    for call in plan.threads:
        here = planner.scope_of(call)
        for instance in plan.served.get(id(call), []):
            made_after = planner.line(instance.statement) > planner.line(call)
            if made_after and planner.scope_of(instance.statement) is here:
                plan.late_threads.add(id(call))


@RULE.analysis
def note_counted_loops(planner: Planner, module: cst.Module) -> None:
    """A blocking loop with a long count= stopped serving after it: noted (_threads)."""
    for loop in planner.plan.loops:
        call = small_call(loop)
        count = plain_loop(call)[1] if call is not None else None
        if count is not None:
            planner.add_note(count, counted_passes(code_of(count), "this"), SECTION_CHANGES)


def unkept(planner: Planner, tracker: Tracker, site: cst.CSTNode) -> bool:
    """The server is made where nothing keeps it (a local name of its function, read
    there only), nothing closes it, and ``site`` is a blocking ``asyncore.loop()``
    statement that runs after: smtpd's shared map had it served there until the program
    ended, which its controller, started where it is made, does."""
    instance, plan = tracker.instance, planner.plan
    if not isinstance(site, cst.SimpleStatementLine) or instance.starts_itself:
        return False
    if instance.returned or instance.escapes is not None or instance.read_outside is not None:
        return False
    own_class = instance.server.node if instance.server is not None else None
    kept = [h for h in tracker.holders if not (h.expr == "self" and h.scope is own_class)]
    if tracker.returners or any(not h.direct or h.declared for h in kept):
        return False
    if instance.server is not None and (instance.server.thread or instance.closes_itself):
        return False
    if not only_read_for_its_port(planner, instance):
        return False
    closed = any(i is instance for i in plan.closes.values()) or plan.close_alls
    return not closed and made_before(planner, instance, site)


def made_before(planner: Planner, instance: Instance, site: cst.SimpleStatementLine) -> bool:
    """The loop runs after the creation: later in a block around it, or in a function
    that first calls (in a block around the loop) the function making it at its top."""
    made = instance.statement
    scope = planner.scope_of(made)
    later = planner.line(site) > planner.line(made)
    if planner.scope_of(site) is scope:
        return later and inside(planner, made, planner.owner_of(site))
    if not isinstance(scope, cst.FunctionDef) or planner.owner_of(made) is not scope.body:
        return False
    if not any(scope is s for s in planner.module.body):
        return False
    m = cst.matchers
    if any(planner.line(e) < planner.line(made) for e in m.findall(scope, m.Return() | m.Raise())):
        return False  # it may end before making the server
    calls = m.findall(
        planner.scope_of(site),
        m.SimpleStatementLine(body=[m.Expr(m.Call(func=m.Name(scope.name.value)))]),
    )
    return any(
        planner.line(call) < planner.line(site) and inside(planner, site, planner.owner_of(call))
        for call in calls
    )


def inside(planner: Planner, node: cst.CSTNode, block: cst.CSTNode) -> bool:
    """``node`` is within ``block`` (a body, or a block nested in one)."""
    while node is not block:
        if isinstance(node, cst.Module):
            return False
        node = planner.get_metadata(ParentNodeProvider, node)
    return True


def may_not_run(planner: Planner, instance: Instance, site: cst.CSTNode) -> bool:
    """The creation sits in a ``for``, ``while`` or ``if`` the loop is outside of: it may
    make no server, and smtpd's loop then returned at once."""
    node: cst.CSTNode = instance.statement
    block = planner.owner_of(site)
    while node is not block and not isinstance(node, cst.Module):
        if isinstance(node, (cst.For, cst.While, cst.If)):
            return True
        node = planner.get_metadata(ParentNodeProvider, node)
    return False


def only_read_for_its_port(planner: Planner, instance: Instance) -> bool:
    """Its own name (a local, or none) is read nowhere but for ``.socket`` (its port)."""
    target = instance.target
    if target is None:
        return True
    if "." in target:
        return False
    m = cst.matchers
    assign = instance.statement.body[0]
    for name in m.findall(planner.scope_of(instance.statement), m.Name(target)):
        parent = planner.get_metadata(ParentNodeProvider, name)
        if isinstance(parent, cst.AssignTarget) and isinstance(assign, cst.Assign):
            if any(parent is t for t in assign.targets):
                continue
        if isinstance(parent, cst.Attribute) and parent.value is name:
            if parent.attr.value == "socket":
                continue
        return False
    return True


def start_where_made(planner: Planner, instance: Instance, site: cst.CSTNode) -> None:
    """Its controller starts after its creation; the loop serves until interrupted."""
    assert isinstance(site, cst.SimpleStatementLine)
    plan = planner.plan
    instance.starts_where_made = instance.bound = True
    plan.served.setdefault(id(site), []).append(instance)
    if site not in plan.loops:
        plan.loops.append(site)
    maybe = MAYBE_NONE if may_not_run(planner, instance, site) else ""
    planner.add_note(
        instance.statement,
        STARTS_WHERE_MADE.format(line=planner.line(site)) + maybe,
        SECTION_STARTUP,
    )


def bind_loops_that_end(planner: Planner) -> None:
    """A loop another function's close() ends returned then: its servers say when (stopped).

    A close() in the loop's own function runs only after the loop (or on its way out), so
    that loop still serves until interrupted.
    """
    plan = planner.plan
    for loop in plan.loops:
        served = plan.served.get(id(loop), [])
        where = planner.scope_of(loop)
        closes = [c for c, i in plan.closes.items() if any(i is s for s in served)]
        if any(planner.scope_of(c) is not where for c in [*closes, *plan.close_alls]):
            plan.ending_loops.add(id(loop))
            for instance in served:
                instance.bound = True


def serve(planner: Planner, instance: Instance, site: cst.CSTNode, holder: Holder) -> None:
    """The loop or loop thread starts the controller reached through ``holder``."""
    plan = planner.plan
    plan.served[id(site)] = [instance]
    plan.controller_at[id(site)] = holder.controller(instance)
    instance.bound = True  # started where the loop was, safe in any order with stop()
    instance.carries |= not holder.direct
    if isinstance(site, cst.Call):
        planner.add_loop_thread(site)
    elif isinstance(site, cst.While):
        planner.add_poll(planner.polls_found[id(site)])
    else:
        assert isinstance(site, cst.SimpleStatementLine)
        plan.loops.append(site)


def stop_through_holders(planner: Planner, tracker: Tracker) -> None:
    """``<holder>.close()`` stops the controller; the socket stays readable; others block."""
    plan, instance = planner.plan, tracker.instance
    for attribute, holder in dispatcher_reads(planner, tracker).items():
        parent = planner.get_metadata(ParentNodeProvider, attribute)
        name = attribute.attr.value
        if name == "socket":
            instance.keeps_socket = True
        elif name == "close" and isinstance(parent, cst.Call) and not parent.args:
            plan.closes[parent] = instance
            plan.controller_at[id(parent)] = holder.controller(instance)
            instance.carries = True
        else:
            planner.block(
                attribute,
                f"{dotted_name(attribute)} is the dispatcher's: the converted handler has none",
                SECTION_STARTUP,
            )
    for value in tracker.escapes():
        planner.block(
            value,
            f"{dotted_name(value)} is passed on here, where the codemod does not follow it: "
            "the converted handler has no close() or other dispatcher attribute",
            SECTION_STARTUP,
        )
    for attribute in untracked_uses(planner, tracker):
        if attribute.attr.value == "socket":  # the handler keeps its controller's
            instance.keeps_socket = True
            continue
        if attribute.attr.value == "close" and instance.closes_itself:
            continue  # the handler keeps its own close(), which stops its controller
        planner.block(
            attribute,
            f"{dotted_name(attribute)} may be the server's, which is not followed here: the "
            f"converted handler has no {attribute.attr.value} (its controller's stop() closes)",
            SECTION_STARTUP,
        )
    in_expressions = [
        c
        for c in plan.closes
        if isinstance(c, cst.Call) and planner.legacy(c.func) == "asyncore.close_all"
    ]
    for close_all in [*plan.close_alls, *in_expressions]:
        reached = tracker.holder_at(close_all)
        if reached is None:
            planner.block(
                close_all, "asyncore.close_all() does not reach the server here", SECTION_STARTUP
            )
        else:
            plan.controller_at[id(close_all)] = reached.controller(instance)
            instance.carries |= not reached.direct
    server = instance.server
    owners = [server.node, *server.mixins] if server is not None else []
    if instance.carries and server is not None and any(owns_controller(c) for c in owners):
        planner.block(
            server.node,
            f"class {server.name} has a controller attribute of its own: the converted "
            "handler keeps its Controller under that name",
            SECTION_STARTUP,
        )


def owns_controller(node: cst.ClassDef) -> bool:
    """The class uses ``self.controller`` itself: the carried controller would clash."""
    return CONTROLLER_ATTRIBUTE in names_in(node)


def check_every_instance_served(planner: Planner) -> None:
    """A server no loop serves: its start-up cannot be rewritten, said at its line."""
    plan = planner.plan
    served = {id(i) for group in plan.served.values() for i in group}
    looping = planner.loop_calls or planner.thread_targets
    for instance in plan.instances:
        if id(instance) not in served and looping:
            planner.block(
                instance.statement,
                f"{instance.target or code_of(instance.call.func) + '(...)'} is served by an"
                " asyncore.loop() outside the block "
                "that creates it: the start-up cannot be rewritten with it",
                SECTION_STARTUP,
            )
    if plan.instances and not looping:
        planner.block(
            plan.instances[0].statement,
            "no asyncore.loop() in this module serves this server",
            SECTION_STARTUP,
        )
    owners = {id(i.owner) for i in plan.instances}
    for close_all in plan.close_alls if len(owners) > 1 else []:
        planner.block(
            close_all,
            "asyncore.close_all() closes the servers of every block: stop each server's "
            "controller where it is in reach instead",
            SECTION_STARTUP,
        )


@RULE.needed_when
def always(plan: Plan) -> bool:
    """A module that converts always starts Controllers."""
    return True


LONG_LINES_CONTROLLER = '''\
class LongLinesSMTP(SMTP):
    """aiosmtpd's SMTP taking message lines of any length within data_size_limit, as
    smtpd did (aiosmtpd refuses a line over 1000 bytes with 500)."""

    def __init__(self, handler, **kwargs):
        limit = kwargs.get("data_size_limit", 33554432)  # aiosmtpd's default, and smtpd's
        # SMTP.__init__ sizes its line reader by line_length_limit: set it first
        self.line_length_limit = (limit or 2**31) + 1001
        super().__init__(handler, **kwargs)


class LongLinesController(Controller):
    """A Controller whose sessions are LongLinesSMTPs."""

    def factory(self):
        return LongLinesSMTP(self.handler, **self.SMTP_kwargs)
'''
BOUND_CONTROLLER = '''\
class BoundController(LongLinesController):
    """A Controller on a socket bound at once, as smtpd.SMTPServer did: port 0 works.

    It serves that socket through Controller._create_server and _factory_invoker:
    internals of aiosmtpd 1.4. On another aiosmtpd it refuses to start.
    """

    def __init__(self, handler, localaddr, **kwargs):
        if not aiosmtpd.__version__.startswith("1.4."):
            found = aiosmtpd.__version__
            raise RuntimeError(f"BoundController needs aiosmtpd 1.4, not {found}")
        family = socket.AF_INET6 if ":" in localaddr[0] else socket.AF_INET
        self.socket = socket.create_server(localaddr, family=family)
        host, port = self.socket.getsockname()[:2]
        self.lifecycle = threading.Lock()
        self.serving = False
        self.closed = False
        self.stopped = threading.Event()  # set by stop(): smtpd's loop returned then
        super().__init__(handler, hostname=host, port=port, **kwargs)

    def _create_server(self):
        return self.loop.create_server(
            self._factory_invoker, sock=self.socket, ssl=self.ssl_context
        )

    def start(self):
        # A start() racing with stop() on another thread serves until it, or not at all.
        with self.lifecycle:
            if not self.serving and not self.closed:
                super().start()
                self.serving = True

    def stop(self, no_assert=False):
        # Like smtpd's close(): safe twice, before start(), and while start() runs.
        with self.lifecycle:
            if self.serving:
                super().stop(no_assert)
                self.serving = False
            self.closed = True
            self.socket.close()
            self.stopped.set()
'''
SERVE_UNTIL_STOPPED_NAME = "serve_until_stopped"
SERVE_UNTIL_STOPPED = f'''\
def {SERVE_UNTIL_STOPPED_NAME}(controller, executor=None):
    """A thread that ran smtpd's loop: it serves until stop(), as that loop until close(),
    and runs the process_message calls of ``executor`` meanwhile, as that loop did."""
    controller.start()
    if executor is None:
        {{wait}}
    else:
        executor.serve(until=controller.stopped)
'''
#: How such a thread waits by default: running the calls of the module's shared executor
#: (rule handler) if it has one, as that loop ran them.
WAIT_STOPPED = "controller.stopped.wait()"
SERVE_STOPPED = f"{SHARED_EXECUTOR}.serve(until=controller.stopped)"
STARTS_WHERE_MADE = (
    "smtpd served this server only once the asyncore.loop() at line {line} ran (its map"
    " held every server); nothing keeps it, so converted code starts its controller here, and"
    " that loop runs process_message as before: a client that connects before the loop runs"
    " is answered at once (smtpd answered once the loop ran)"
)
MAYBE_NONE = (
    "; where the block around it makes none, smtpd's loop returned at once (an empty map),"
    " while converted code waits there until interrupted"
)
QUIET_MAIL_LOG = """\
# smtpd logged nothing of its sessions: keep aiosmtpd's log of them out of the program's
logging.getLogger("mail.log").addHandler(logging.NullHandler())
logging.getLogger("mail.log").propagate = False
# nor did it start asyncio: its DEBUG line about the selector would be new in that log
logging.getLogger("asyncio").addFilter(
    lambda record: not record.getMessage().startswith("Using selector")
)
"""
#: Every converted server's Controller is a LongLinesController.
CONTROLLER_IMPORTS = {("aiosmtpd.controller", "Controller"), ("aiosmtpd.smtp", "SMTP")}
BOUND_CONTROLLER_IMPORTS = {("aiosmtpd", None), ("socket", None), ("threading", None)}
OPTIONS = ("data_size_limit", "enable_SMTPUTF8", "decode_data")
ATTRIBUTE_FOR = {param: attr for attr, param in LEGACY_ATTRS.items()}


class SocketReads(cst.CSTTransformer):
    """``server.socket`` of a converted server becomes its controller's, in code the rule
    writes anew from the original nodes (an instance's arguments)."""

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        return socket_read(self.plan, original_node) or updated_node


def socket_read(plan: Plan, node: cst.CSTNode) -> Optional[cst.BaseExpression]:
    instance = plan.sockets.get(node) if isinstance(node, cst.Attribute) else None
    return expression(f"{instance.controller_name}.socket") if instance is not None else None


def rendered(plan: Plan, node: cst.CSTNode) -> str:
    """The code of an original node as the rules rewrite it there (socket reads)."""
    made = node.visit(SocketReads(plan))
    assert isinstance(made, cst.CSTNode)  # an expression stays one
    return code_of(made)


def handler_statement(plan: Plan, instance: Instance) -> str:
    """``<name> = <handler>(...)``, wrapped as black would where it is too long."""
    made, args = handler_call(plan, instance)
    name = instance.staged or instance.handler_name
    if args is None:  # the program's own call, as it wrote it
        return f"{name} = {made}\n"
    return assign_call(name, made, args, instance.indent)


def handler_call(plan: Plan, instance: Instance) -> Tuple[str, Optional[List[str]]]:
    """What makes the handler: a callable and its arguments (None: a whole call's text)."""
    server = instance.server
    if server is None:
        return instance.handler_class, ["decode_data=True"] if instance_decodes(instance) else []
    if server.init is not None:
        return rendered(plan, instance.call), None
    made = code_of(instance.call.func)  # the class, or what picks it (SERVERS[MODE], _choice)
    if not server.attrs_read:
        return made, []
    given = [p for p in ("localaddr", "remoteaddr") if p in instance.args]
    args = [rendered(plan, instance.args[p]) for p in given]
    args += [f"{p}={rendered(plan, instance.args[p])}" for p in OPTIONS if p in instance.args]
    return made, args


def instance_decodes(instance: Instance) -> bool:
    value = instance.args.get("decode_data")
    return isinstance(value, cst.Name) and value.value == "True"


def option_values(plan: Plan, instance: Instance) -> List[str]:
    """Controller keyword arguments carrying smtpd's options over."""
    return server_options(plan, instance.server, instance.handler_name, instance.args)


def server_options(
    plan: Plan, server: Optional[ServerClass], handler: str, args: Dict[str, cst.BaseExpression]
) -> List[str]:
    """The options of ``server`` created as ``handler`` (with ``args`` when it has no __init__)."""
    values = []
    for param in OPTIONS:
        if server is not None and server.init is not None and not server.forwards:
            given = f"{handler}.{ATTRIBUTE_FOR[param]}" if param in server.base_args else None
        else:
            given = rendered(plan, args[param]) if param in args else None
        if param == "decode_data" and (server is None or server.decodes_itself):
            given = None  # the handler decodes (aiosmtpd's decode_data is strict ASCII)
        if given is None and param == "enable_SMTPUTF8":
            given = "False"  # smtpd's default; the Controller would turn it on
        if given is not None:
            values.append(f"{param}={given}")
    return values + extra_options(plan) + (controller_options(server) if server else [])


def extra_options(plan: Plan) -> List[str]:
    """Controller options other rules ask for (the banner's ``ident``)."""
    return [f"ident={plan.ident}"] if plan.ident is not None else []


def controller_call(plan: Plan, instance: Instance) -> str:
    server, handler = instance.server, instance.staged or instance.handler_name
    if server is not None and server.init is not None:
        localaddr = f"{handler}._localaddr"
    else:
        localaddr = rendered(plan, instance.args["localaddr"])
    options = option_values(plan, instance)
    if instance.bound:
        args = [handler, localaddr, *options]
        made = server.controller_class if server is not None else "BoundController"
        return assign_call(instance.controller_name, made, args, instance.indent)
    address = instance.args["localaddr"]
    assert isinstance(address, cst.Tuple)
    host, port = (code_of(e.value) for e in address.elements)
    args = [handler, f"hostname={host}", f"port={port}", *options]
    return assign_call(instance.controller_name, "LongLinesController", args, instance.indent)


def replace_instance(
    plan: Plan, instance: Instance, updated: cst.SimpleStatementLine
) -> List[cst.BaseStatement]:
    plan.imports.update(CONTROLLER_IMPORTS)
    if instance.bound:
        plan.imports.update(BOUND_CONTROLLER_IMPORTS)
    handler = statement(handler_statement(plan, instance))
    if instance.starts_itself:  # its __init__ binds and starts its controller
        returned = [statement(f"return {instance.handler_name}\n")] if instance.returned else []
        return keep_leading_lines(instance.statement, [handler, *returned])
    control = statement(controller_call(plan, instance))
    made = [handler, control]
    name = instance.staged or instance.handler_name
    if instance.server is not None and instance.server.base_listen is not None:
        made.append(listen_call(name))  # its own listen(), where smtpd's __init__ called it
    if instance.carries or instance.closes_itself:
        why = "its close() stops it" if instance.closes_itself else None
        carried = f"{name}.{CONTROLLER_ATTRIBUTE} = {instance.controller_name}"
        made.append(statement(commented(carried, why, instance.indent)))
    handed = instance.escapes is not None or instance.read_outside is not None
    if handed or instance.keeps_socket or instance.carries:
        # code elsewhere reads the port, as from smtpd's server
        kept = f"{name}.socket = {instance.controller_name}.socket"
        made.append(statement(commented(kept, "bound, as smtpd.SMTPServer's was", instance.indent)))
    if instance.staged is not None:
        published = f"{instance.handler_name} = {instance.staged}"
        why = "published with its socket, as smtpd's server was"
        made.append(statement(commented(published, why, instance.indent)))
    if instance.starts_where_made:
        why = "served from here on: nothing else reaches it"
        made.append(
            statement(commented(f"{instance.controller_name}.start()", why, instance.indent))
        )
    if instance.returned:
        made.append(statement(f"return {instance.handler_name}\n"))
    if instance.inline:  # the statement it was made in, now reading the controller's socket
        made.append(updated.with_changes(leading_lines=[]))
    return keep_leading_lines(instance.statement, made)


def commented(code: str, why: Optional[str], indent: int) -> str:
    """A generated line with its comment at its end, or above it where the line would be
    longer than ruff's line length."""
    if why is None:
        return f"{code}\n"
    if indent + len(code) + len(why) + 4 <= LINE_LENGTH:
        return f"{code}  # {why}\n"
    return f"# {why}\n{code}\n"


def controller_at(plan: Plan, node: cst.CSTNode, instance: Instance) -> str:
    """The controller's name where ``node`` is: its own, or reached through a holder."""
    return plan.controller_at.get(id(node), instance.controller_name)


def replace_loop(plan: Plan, loop: cst.CSTNode) -> List[cst.BaseStatement]:
    served = plan.served[id(loop)]
    controllers = [controller_at(plan, loop, i) for i in served if not i.starts_where_made]
    starts = [statement(f"{c}.start()\n") for c in controllers]
    executor = loop_executor(plan, served)
    if id(loop) in plan.ending_loops:  # every server is a BoundController (rule planner)
        why = "served until stop(), when smtpd's loop returned"
        waits = [wait_code(executor, f"{c}.stopped", why) for c in controllers]
        return [*starts, *(statement(wait) for wait in waits)]
    if executor is None:
        plan.imports.add(("threading", None))
    return [*starts, statement(wait_code(executor, None, "served until interrupted"))]


def loop_executor(plan: Plan, served: List[Instance]) -> Optional[str]:
    """The executor whose calls the thread of this loop runs: its servers' (rule handler),
    the shared one for a loop of DebuggingServers in a module that has it, else none."""
    executors = {i.server.executor for i in served if i.server is not None}
    if len(executors) == 1:
        return executors.pop()
    return SHARED_EXECUTOR if not executors and plan.makes_shared_executor else None


def wait_code(executor: Optional[str], stopped: Optional[str], why: str) -> str:
    """The wait of the thread that ran smtpd's loop: it runs process_message (rule handler)
    while it waits, as that loop ran it there; a plain wait where no executor is made."""
    if executor is not None:
        until, end = (f"until={stopped}", "stop()") if stopped else ("", "interrupted")
        comment = f"# serves until {end}, running process_message here as smtpd's loop did\n"
        return f"{comment}{executor}.serve({until})\n"
    wait = f"{stopped}.wait()" if stopped else "threading.Event().wait()"
    return f"{wait}  # {why}\n"


def stop_call(plan: Plan, node: cst.CSTNode, instance: Instance) -> str:
    """What closes a server where ``node`` is: its controller's stop(), or its own close()
    (which stops the controller it carries)."""
    controller = controller_at(plan, node, instance)
    if not instance.closes_itself:
        return f"{controller}.stop()"
    carried = "." + CONTROLLER_ATTRIBUTE
    handler = controller[: -len(carried)] if controller.endswith(carried) else None
    return f"{handler or instance.handler_name}.close()"


@RULE.on(cst.SimpleStatementLine)
def replace_statement(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not isinstance(original, cst.SimpleStatementLine):
        return updated
    instance = next((i for i in plan.instances if i.statement is original), None)
    if instance is not None:
        assert isinstance(updated, cst.SimpleStatementLine)
        return cst.FlattenSentinel(replace_instance(plan, instance, updated))
    if original in plan.loops:
        return cst.FlattenSentinel(keep_leading_lines(original, replace_loop(plan, original)))
    if any(original is s for s in plan.dropped):
        return cst.RemovalSentinel.REMOVE
    if original in plan.close_alls:
        stops = [statement(f"{stop_call(plan, original, i)}\n") for i in closed_by(plan, original)]
        return cst.FlattenSentinel(keep_leading_lines(original, stops))
    return updated


@RULE.on(cst.Call)
def replace_call(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not isinstance(updated, cst.Call):
        return updated
    read = plan.map_reads.get(original) if isinstance(original, cst.Call) else None
    if read is not None:  # the map held the one server: its controller stands in
        return expression(f"[{controller_at(plan, original, read)}]")
    if original in plan.closes:
        return expression(stop_call(plan, original, plan.closes[original]))
    if original in plan.threads:
        return loop_thread(plan, original, updated)
    return updated


def loop_thread(plan: Plan, original: cst.CSTNode, updated: cst.Call) -> cst.Call:
    """``Thread(target=asyncore.loop, ...)`` serves until ``stop()``, as the loop until close()."""
    controller = controller_at(plan, original, plan.served[id(original)][0])
    if not any(a.keyword and a.keyword.value == "target" for a in updated.args):  # submit()
        return loop_submitted(plan, original, updated, controller)
    target = expression(SERVE_UNTIL_STOPPED_NAME)
    args = [
        a.with_changes(value=target) if a.keyword and a.keyword.value == "target" else a
        for a in updated.args
        if not (a.keyword and a.keyword.value in ("args", "kwargs"))
    ]
    executor = loop_executor(plan, plan.served[id(original)])
    if id(original) in plan.late_threads:  # the controller is made after the thread
        own = f", {executor}" if executor not in (None, SHARED_EXECUTOR) else ""
        late = expression(f"lambda: {SERVE_UNTIL_STOPPED_NAME}({controller}{own})")
        args = [a.with_changes(value=late) if a.value is target else a for a in args]
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(args=args)
    own = f", {executor}" if executor not in (None, SHARED_EXECUTOR) else ","
    passed = expression(f"f(args=({controller}{own}))")
    assert isinstance(passed, cst.Call)
    # the new last argument takes the line break before ``)`` of a call split over lines
    last = updated.args[-1]
    comma = last.comma if isinstance(last.comma, cst.Comma) else None  # one per line
    first = updated.args[0].comma
    between = first if comma is not None and isinstance(first, cst.Comma) else None
    separator = between or cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    args[-1] = args[-1].with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
    added = passed.args[0].with_changes(
        comma=comma or cst.MaybeSentinel.DEFAULT, whitespace_after_arg=last.whitespace_after_arg
    )
    call = updated.with_changes(args=[*args, added])
    one_line = code_of(call)
    if "\n" not in one_line and plan.columns.get(id(original), 0) + len(one_line) > LINE_LENGTH:
        return arguments_on_their_own_line(call)
    return call


def loop_submitted(
    plan: Plan, original: cst.CSTNode, updated: cst.Call, controller: str
) -> cst.Call:
    """``executor.submit(asyncore.loop, 1)``: its worker serves until ``stop()`` instead."""
    executor = loop_executor(plan, plan.served[id(original)])
    own = f", {executor}" if executor not in (None, SHARED_EXECUTOR) else ""
    served = f"{SERVE_UNTIL_STOPPED_NAME}, {controller}{own}"
    if id(original) in plan.late_threads:  # the controller is made after the worker starts
        served = f"lambda: {SERVE_UNTIL_STOPPED_NAME}({controller}{own})"
    passed = expression(f"f({served})")
    assert isinstance(passed, cst.Call)
    return updated.with_changes(args=passed.args)


def arguments_on_their_own_line(call: cst.Call) -> cst.Call:
    """``f(\n    a, b\n)``: a call too long for ruff's line length, as black splits it."""

    def break_after(extra: str) -> cst.ParenthesizedWhitespace:
        return cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(),
            indent=True,
            last_line=cst.SimpleWhitespace(extra),
        )

    args = list(call.args)
    args[-1] = args[-1].with_changes(whitespace_after_arg=break_after(""))
    return call.with_changes(whitespace_before_args=break_after("    "), args=args)


@RULE.on(cst.Attribute)
def replace_passed_close(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """``addCleanup(server.close)``: the bound method that closes, passed on to call later."""
    instance = plan.closes.get(original) if plan.convert else None
    if instance is None:
        return updated
    called = stop_call(plan, original, instance)
    return expression(called[: -len("()")])


@RULE.on(cst.Attribute)
def replace_socket(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    return (socket_read(plan, original) if plan.convert else None) or updated


@RULE.on(cst.Module)
def add_controller_helpers(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """The module-level helpers converted Controllers use: the quiet mail.log, the loop
    thread's target, LongLinesController and, where a socket is bound at once, BoundController."""
    if not plan.convert or not isinstance(updated, cst.Module):
        return updated
    if plan.makes_controllers:
        plan.imports.add(("logging", None))
        updated = insert_helpers(updated, QUIET_MAIL_LOG)
    if plan.threads:
        wait = SERVE_STOPPED if plan.makes_shared_executor else WAIT_STOPPED
        updated = insert_helpers(updated, SERVE_UNTIL_STOPPED.format(wait=wait))
    if not plan.makes_controllers:
        return updated
    bound = f"\n\n{BOUND_CONTROLLER}" if plan.needs_bound_controller else ""
    return insert_helpers(updated, LONG_LINES_CONTROLLER + bound)

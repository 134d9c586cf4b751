"""Rule ``handler``: a ``smtpd.SMTPServer`` subclass becomes an aiosmtpd handler.

Guide section: "Rule handler: process_message becomes handle_DATA".

The class loses its legacy base and gains ``async def handle_DATA(self, server,
session, envelope)``, which binds ``peer``, ``mailfrom``, ``rcpttos``, ``data``
and the keyword arguments exactly as smtpd did and runs the untouched
``process_message`` on a single worker thread, so the event loop never stalls
and calls stay one at a time. A falsy return still means ``250 OK``; an
exception answers ``451`` (smtpd dropped the connection: the sender retried)
with the traceback on stderr. With ``decode_data=True`` the handler decodes
UTF-8 itself and keeps smtpd's EHLO and ``BODY=`` replies with two hooks, since
aiosmtpd's own ``decode_data=True`` refuses non-ASCII mail.
"""

from __future__ import annotations

import textwrap
from typing import List, Optional, Sequence

import libcst as cst
import libcst.matchers
from libcst.metadata import ParentNodeProvider

from smtpd_compat.codemod._build import (
    EMPTY,
    block_body,
    insert_helpers,
    is_docstring,
    keep_leading_lines,
    leading_lines,
    statement,
    with_leading_lines,
)
from smtpd_compat.codemod._choice import share_attributes
from smtpd_compat.codemod._close import CLOSE_METHOD, CONTROLLER_ATTRIBUTE
from smtpd_compat.codemod._listen import listen_method, why_listen_stays
from smtpd_compat.codemod._names import dotted_name
from smtpd_compat.codemod._plan import (
    DISPATCHER_ATTRS,
    LEGACY_ATTRS,
    NOT_IMPLEMENTED_HANDLER,
    SECTION_HANDLER,
    SECTION_STARTUP,
    SERVER_BASES,
    SHARED_EXECUTOR,
    Instance,
    Plan,
    ServerClass,
)
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._rule import Result, Rule
from smtpd_compat.codemod._threads import names_in

STATEMENT_TYPES = (cst.SimpleStatementLine, cst.BaseCompoundStatement)
RULE = Rule("handler", "process_message servers become handle_DATA handlers", SECTION_HANDLER)


@RULE.needed_when
def always(plan: Plan) -> bool:
    """A module that converts always turns its servers into handlers."""
    return True


@RULE.analysis
def check_subclasses(planner: Planner, module: cst.Module) -> None:
    """A subclass of a server class that becomes a handler would be left half legacy."""
    converted = {s.name for s in planner.plan.servers} | set(planner.plan.debugging_classes)
    for node in cst.matchers.findall(module, cst.matchers.ClassDef()):
        assert isinstance(node, cst.ClassDef)
        for base in node.bases:
            name = dotted_name(base.value)
            if name in converted:
                planner.block(
                    base,
                    f"class {node.name.value} subclasses {name}, which becomes a handler: "
                    f"{node.name.value} would stay a legacy server (convert both by hand)",
                )


@RULE.analysis
def share_chosen_attributes(planner: Planner, module: cst.Module) -> None:
    """Classes one call chooses among (``SERVERS[MODE](...)``) all take its arguments."""
    for candidates in planner.plan.chosen:
        share_attributes(candidates)


@RULE.analysis
def read_decode_data_at_run_time(planner: Planner, module: cst.Module) -> None:
    """decode_data computed by the program: the handler keeps it and decides per message.

    Not where the class has its own EHLO or MAIL hook (the Controller would have to decide
    strict ASCII when it is made).
    """
    for server in planner.plan.servers:
        if not server.runtime_decode:
            continue
        if not server.decodes_itself:
            planner.block(
                server.node,
                f"class {server.name} gets a computed decode_data and has its own EHLO or "
                "MAIL hook: pass decode_data as a literal",
                SECTION_HANDLER,
            )
        elif server.init is None:
            server.attrs_read.add("_decode_data")  # the generated __init__ stores it


@RULE.analysis
def keep_socket_for_the_class(planner: Planner, module: cst.Module) -> None:
    """A class reading ``self.socket`` once it serves: its handlers get the bound socket."""
    for instance in planner.plan.instances:
        if instance.server is not None and instance.server.reads_socket:
            instance.keeps_socket = True
            instance.bound = True  # a BoundController has the socket before it starts


@RULE.analysis
def call_listen_once_bound(planner: Planner, module: cst.Module) -> None:
    """A class's own listen(): the start-up calls it once a BoundController has bound, where
    smtpd's __init__ called it, or the class is reported (_listen)."""
    for server in [s for s in planner.plan.servers if s.base_listen is not None]:
        init = server.init
        ends = init is None or block_body(init.body)[-1] is server.base_init
        why = why_listen_stays(server, ends)
        made = [i for i in planner.plan.instances if i.server is server]
        if why is None and any(i.starts_itself for i in made):
            why = "its __init__ starts its Controller itself"
        if why is not None:
            planner.block(
                listen_method(server) or server.node,
                f"class {server.name} overrides the dispatcher's listen, which smtpd's "
                f"__init__ called once bound: the start-up cannot call it there ({why})",
                SECTION_STARTUP,
            )
        for instance in made:
            instance.bound = True  # bound when made, as smtpd's server was before listen()


@RULE.analysis
def close_handed_out_servers(planner: Planner, module: cst.Module) -> None:
    """A server its function hands out (a factory's ``return``) may be closed anywhere.

    Where the module calls ``close()`` on something that is no server it follows, the
    handler gets a close() that stops the controller the start-up hands it (_close).
    """
    instances = planner.plan.instances
    closed = [
        a
        for a in planner.attributes
        if a.attr.value == "close"
        and isinstance(a.value, cst.Name)
        and a.value.value != "self"
        and not any(a.value.value == i.target and planner.same_object(a, i) for i in instances)
    ]
    for instance in instances if closed else []:
        server = instance.server
        if instance.escapes is None:
            continue
        if server is None and debugging_handler_can_close(planner, instance):
            instance.closes_by_controller = True
            instance.bound = True  # its stop() is safe at any time
        elif server is not None and server.thread is None:
            close_by_controller(server, instance)


def close_by_controller(server: ServerClass, instance: Instance) -> bool:
    """The class keeps its own close(), or gets CLOSE_METHOD (stopping the controller the
    start-up hands it) where no ``controller`` of its own would clash; False if neither."""
    if server.closes_itself:
        return True
    if CONTROLLER_ATTRIBUTE in names_in(server.node):
        return False
    server.closes_by_controller = True
    instance.bound = True  # its stop() is safe at any time
    return True


def debugging_handler_can_close(planner: Planner, instance: Instance) -> bool:
    """An smtpd.DebuggingServer (or an empty subclass) becomes LegacyDebuggingHandler,
    which can get a close() of its own; no subclass names ``controller`` or ``close``."""
    if instance.server is not None or instance.not_implemented:
        return False
    made = planner.plan.debugging_classes.get(dotted_name(instance.call.func) or "")
    return made is None or not {CONTROLLER_ATTRIBUTE, "close"} & set(names_in(made))


@RULE.analysis
def check_reads_through_owners(planner: Planner, module: cst.Module) -> None:
    """``trap.server.close()`` where a class keeps its server as ``self.server``.

    Code outside the class reaches the server through its owner: the converted handler
    keeps the socket (rule startup) and its own attributes, but no other dispatcher
    attribute, and a close() there would not stop the controller.
    """
    for instance in planner.plan.instances:
        target = instance.target or ""
        if target.startswith("self.") and target.count(".") == 1:
            for attribute in planner.attributes:
                if attribute.attr.value == target[5:] and not inside(planner, attribute, instance):
                    check_read_through_owner(planner, attribute, instance)


def inside(planner: Planner, attribute: cst.Attribute, instance: Instance) -> bool:
    """``self.server`` in the class that keeps it: the instance itself (rule startup)."""
    return dotted_name(attribute) == instance.target and planner.same_object(attribute, instance)


def check_read_through_owner(
    planner: Planner, attribute: cst.Attribute, instance: Instance
) -> None:
    parent = planner.get_metadata(ParentNodeProvider, attribute)
    read = dotted_name(attribute) or f"...{attribute.attr.value}"
    if isinstance(parent, cst.AssignTarget):
        return  # the owner is given another object
    if compared_with_none(parent, attribute):
        return  # ``owner.server is None``: a wait for it, the handler is there as smtpd's was
    if not isinstance(parent, cst.Attribute):
        planner.block(
            attribute,
            f"{read} hands the server on here: code there may read its socket or call "
            "close(), which the converted handler has not",
            SECTION_STARTUP,
        )
        return
    what = parent.attr.value
    if what == "socket" or what not in DISPATCHER_ATTRS | {"close"}:
        return  # the socket stays (rule startup), and the handler keeps its own attributes
    served_by_threads = all(
        id(instance) not in {id(i) for i in planner.plan.served.get(id(loop), [])}
        for loop in planner.plan.loops
    )
    if what == "close" and served_by_threads and gets_close(instance):
        return  # its own close() stops its controller
    owner = dotted_name(attribute.value)
    controller = instance.controller_name.replace("self.", f"{owner}.", 1) if owner else None
    planner.block(
        parent,
        f"{read}.{what} reaches the server's {what} outside its class: the converted handler "
        f"has none (its controller will be {controller or instance.controller_name}: "
        "stop() it there instead)",
        SECTION_STARTUP,
    )


def gets_close(instance: Instance) -> bool:
    """Its class has a close() stopping its controller, or gets one (_close)."""
    server = instance.server
    if instance.closes_itself or server is None or server.thread is not None:
        return instance.closes_itself
    return server.close_why is None and close_by_controller(server, instance)


def compared_with_none(parent: cst.CSTNode, attribute: cst.Attribute) -> bool:
    """``owner.server is None`` / ``is not None``: only whether it is made yet is read."""
    if not isinstance(parent, cst.Comparison) or parent.left is not attribute:
        return False
    if len(parent.comparisons) != 1:
        return False
    target = parent.comparisons[0]
    is_test = isinstance(target.operator, (cst.Is, cst.IsNot))
    return is_test and dotted_name(target.comparator) == "None"


EXECUTOR_CLASS = "LoopThreadExecutor"
EXECUTOR_CLASS_CODE = f'''\
class {EXECUTOR_CLASS}(concurrent.futures.Executor):
    """Runs process_message one call at a time on the thread waiting in serve(): smtpd
    ran it on the thread that ran its loop, and objects made there (sqlite3 connections,
    thread-locals) work only there. While no thread waits, on a worker thread."""

    def __init__(self):
        self.calls = queue.SimpleQueue()
        self.serving = 0
        self.lock = threading.Lock()
        self.worker = concurrent.futures.ThreadPoolExecutor(max_workers=1)

    def submit(self, fn, /, *args, **kwargs):
        with self.lock:
            if not self.serving:
                return self.worker.submit(fn, *args, **kwargs)
            future = concurrent.futures.Future()
            self.calls.put((future, functools.partial(fn, *args, **kwargs)))
            return future

    def serve(self, until=None):
        """Run the calls here until ``until`` is set (None: until interrupted)."""
        with self.lock:
            self.serving += 1
        try:
            while until is None or not until.is_set():
                try:
                    future, call = self.calls.get(timeout=None if until is None else 0.1)
                except queue.Empty:
                    continue
                self.execute(future, call)
        finally:
            with self.lock:
                self.serving -= 1
                left = self.serving == 0
            while left and not self.calls.empty():  # queued as the wait ended
                future, call = self.calls.get()
                self.worker.submit(self.execute, future, call)

    def execute(self, future, call):
        if not future.set_running_or_notify_cancel():
            return  # its session is gone
        try:
            result = call()
        except Exception as error:
            future.set_exception(error)
        except BaseException as error:  # Ctrl+C, sys.exit(): they end the wait, as the loop
            future.set_exception(RuntimeError(repr(error)))
            raise
        else:
            future.set_result(result)
'''
SERVE_ONCE_CODE = '''\
    def start_polling(self):
        """A polling loop serves from now on: calls wait for its next serve_once(), as
        for smtpd's next pass, instead of going to the worker."""
        self.polled = True

    def serve_once(self, timeout):
        """One pass of smtpd's loop(timeout, count=1): wait up to ``timeout`` seconds
        for calls, run here those there are, and return."""
        try:
            future, call = self.calls.get(timeout=timeout)
        except queue.Empty:
            return
        self.execute(future, call)
        while not self.calls.empty():
            future, call = self.calls.get()
            self.execute(future, call)

'''


def executor_class_code(polls: bool) -> str:
    """The executor class; with ``serve_once()`` for the module's polling loops (rule
    thread), whose thread runs the calls between its waits as smtpd's passes did."""
    if not polls:
        return EXECUTOR_CLASS_CODE
    code = EXECUTOR_CLASS_CODE.replace(
        "        self.serving = 0\n", "        self.serving = 0\n        self.polled = False\n"
    ).replace("if not self.serving:", "if not self.serving and not self.polled:")
    execute = "    def execute(self, future, call):\n"
    return code.replace(execute, SERVE_ONCE_CODE + execute)


EXECUTOR_CODE = f"""\
# smtpd ran process_message on the thread running its loop: serve() runs it there.
{{executor}} = {EXECUTOR_CLASS}()
"""
OWN_EXECUTOR_CODE = f"""\
# smtpd ran {{name}}'s process_message on its own map's thread: serve() runs it there.
{{executor}} = {EXECUTOR_CLASS}()
"""

HANDLE_DATA = """\
async def handle_DATA(self, server, session, envelope):
    try:
        # smtpd passed the body with LF line ends and without the final line end.
        data = envelope.original_content[:-2].replace(b"\\r\\n", b"\\n"){decode}
        call = functools.partial(
            self.process_message,
            session.peer,
            envelope.mail_from,
            list(envelope.rcpt_tos),
            data,{options}
        )
        loop = asyncio.get_running_loop()
        reply = await loop.run_in_executor({executor}, call)
    except Exception:
        # smtpd dropped the connection: a temporary failure, so the sender retries.
{on_error}
        return "451 Requested action aborted: error in processing"
    return reply or "250 OK"
"""


# smtpd with decode_data=True offered no 8BITMIME and refused BODY=; aiosmtpd would
# refuse non-ASCII bodies (500) with its own decode_data=True, so handle_DATA decodes.
def decoding_hooks_code(flag: Optional[str] = None) -> str:
    """handle_EHLO and handle_MAIL answering as smtpd with decode_data=True did; ``flag``
    is the expression that decides it when the program runs (None: always)."""
    offer = '    return [line for line in responses if line != "250-8BITMIME"]\n'
    refuse = 'any(option.startswith("BODY=") for option in mail_options)'
    if flag is not None:
        offer = f"    if {flag}:\n    {offer}    return responses\n"
        refuse = f"{flag} and {refuse}"
    return (
        "async def handle_EHLO(self, server, session, envelope, hostname, responses):\n"
        "    # smtpd with decode_data=True did not offer 8BITMIME.\n"
        "    session.host_name = hostname\n"
        f"{offer}\n\n"
        "async def handle_MAIL(self, server, session, envelope, address, mail_options):\n"
        "    # smtpd with decode_data=True knew no BODY= parameter.\n"
        f"    if {refuse}:\n"
        '        return "555 MAIL FROM parameters not recognized or not implemented"\n'
        "    envelope.mail_from = address\n"
        "    envelope.mail_options.extend(mail_options)\n"
        '    return "250 OK"\n'
    )


DECODING_HOOKS = decoding_hooks_code()

GENERATED_INIT = """\
def __init__(self, localaddr, remoteaddr, data_size_limit=33554432, enable_SMTPUTF8=False,
             decode_data=False):
    # The attributes smtpd.SMTPServer set and this class reads.
{assignments}
"""

# smtpd.SMTPServer made directly: every message failed, as it did under smtpd, but with 451.
NOT_IMPLEMENTED_CODE = f'''\
class {NOT_IMPLEMENTED_HANDLER}:
    """smtpd.SMTPServer itself, whose process_message raised NotImplementedError."""

    async def handle_DATA(self, server, session, envelope):
        try:
            raise NotImplementedError("smtpd.SMTPServer has no process_message of its own")
        except NotImplementedError:
            # smtpd dropped the connection: a temporary failure, so the sender retries.
            traceback.print_exc()
            return "451 Requested action aborted: error in processing"
'''

OPTION_VALUES = {
    "mail_options": "list(envelope.mail_options)",
    "rcpt_options": "list(envelope.rcpt_options)",
}


# decode_data computed when the program runs: what smtpd did, chosen then.
RUNTIME_DECODE = """
        options = {}
        if self._decode_data:
            data = data.decode("utf-8")
        else:  # smtpd passed the options only then (refused where process_message takes none)
            options = {
                "mail_options": list(envelope.mail_options),
                "rcpt_options": list(envelope.rcpt_options),
            }"""
RUNTIME_DECODING_HOOKS = decoding_hooks_code("self._decode_data")


def handle_data(server: ServerClass) -> cst.BaseStatement:
    decode = '\n        data = data.decode("utf-8")' if server.decode_data else ""
    options = "".join(f"\n            {k}={OPTION_VALUES[k]}," for k in server.option_kwargs)
    if server.runtime_decode:
        decode, options = RUNTIME_DECODE, "\n            **options,"
    code = HANDLE_DATA.format(
        decode=decode, options=options, executor=server.executor, on_error=on_error(server)
    )
    return statement(code)


def on_error(server: ServerClass) -> str:
    """What runs on an error: the channel's own handle_error report, or the traceback."""
    report = server.channel.error if server.channel is not None else None
    if report is None:
        return "        traceback.print_exc()"
    code = cst.Module(body=[s for s in report if isinstance(s, STATEMENT_TYPES)]).code
    return textwrap.indent(code, " " * 8).rstrip("\n")


def decoding_hooks(server: ServerClass) -> List[cst.BaseStatement]:
    """The hooks that keep smtpd's decode_data=True dialogue while handle_DATA decodes."""
    if not server.decodes_itself:
        return []
    hooks = RUNTIME_DECODING_HOOKS if server.runtime_decode else DECODING_HOOKS
    return list(cst.parse_module(hooks).body)


def generated_init(server: ServerClass) -> cst.BaseStatement:
    lines = [f"    self.{attr} = {LEGACY_ATTRS[attr]}" for attr in sorted(server.attrs_read)]
    return statement(GENERATED_INIT.format(assignments="\n".join(lines)))


def handler_methods(
    server: ServerClass, leading: Sequence[cst.EmptyLine]
) -> List[cst.BaseStatement]:
    """What takes process_message's place: __init__ if needed, the hooks and handle_DATA."""
    made: List[cst.BaseStatement] = []
    if server.init is None and server.attrs_read:
        made.append(generated_init(server))
    made += [*decoding_hooks(server), handle_data(server)]
    first = made[0].with_changes(leading_lines=leading)
    return [first, *(m.with_changes(leading_lines=[EMPTY]) for m in made[1:])]


def with_inherited_methods(
    server: ServerClass, body: List[cst.BaseStatement]
) -> List[cst.BaseStatement]:
    """The handler's methods for a class inheriting process_message: __init__ first."""
    made = handler_methods(server, [EMPTY] if body else [])
    if len(made) == 1 or server.init is not None or not server.attrs_read or not body:
        return body + made
    at = 1 if is_docstring(body[0]) else 0  # after the docstring
    first = body[at:][:1]
    init = with_leading_lines(made[0], leading_lines(first[0]) if first else [EMPTY])
    rest = [with_leading_lines(b, [EMPTY]) for b in first] + body[at + 1 :]
    return [*body[:at], init, *rest, *made[1:]]


def is_pass(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Pass) for small in stmt.body
    )


def server_for(plan: Plan, node: cst.CSTNode) -> ServerClass | None:
    return next((s for s in plan.servers if s.node is node), None)


@RULE.on(cst.ClassDef)
def convert_class(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
    server = server_for(plan, original)
    if server is None or not isinstance(updated, cst.ClassDef):
        return updated
    bases = [b for b in updated.bases if plan.names.legacy_name(b.value) not in SERVER_BASES]
    body: List[cst.BaseStatement] = []
    inherited = not any(
        isinstance(s, cst.FunctionDef) and s.name.value == "process_message"
        for s in block_body(updated.body)
    )
    for stmt in block_body(updated.body):
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "process_message":
            body += handler_methods(server, stmt.leading_lines)
            stmt = stmt.with_changes(leading_lines=[EMPTY])
        if not (inherited and is_pass(stmt)):  # ``pass`` gives way to the methods
            body.append(stmt)
    if inherited:  # from DebuggingServerMethods or PureProxyMethods (rule debugging)
        body = with_inherited_methods(server, body)
    if server.closes_by_controller:
        body.append(statement(CLOSE_METHOD).with_changes(leading_lines=[EMPTY]))
    plan.imports.update(
        {
            ("asyncio", None),
            ("functools", None),
            ("concurrent.futures", None),
            ("queue", None),
            ("threading", None),
        }
    )
    if "traceback.print_exc()" in on_error(server):
        plan.imports.add(("traceback", None))
    return updated.with_changes(
        bases=[b.with_changes(comma=cst.MaybeSentinel.DEFAULT) for b in bases],
        lpar=cst.MaybeSentinel.DEFAULT if not bases else updated.lpar,
        rpar=cst.MaybeSentinel.DEFAULT if not bases else updated.rpar,
        body=updated.body.with_changes(body=body),
    )


@RULE.on(cst.FunctionDef)
def drop_base_listen(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """In the class's own listen(), the base call goes: its controller listens."""
    bases = [s.base_listen for s in plan.servers if s.base_listen is not None]
    if not bases or not isinstance(original, cst.FunctionDef):
        return updated
    if not isinstance(updated, cst.FunctionDef) or original.name.value != "listen":
        return updated
    body = block_body(original.body)
    at = next((i for i, s in enumerate(body) if any(s is b for b in bases)), None)
    if at is None:
        return updated
    kept = [s for i, s in enumerate(block_body(updated.body)) if i != at]
    assert isinstance(updated.body, cst.IndentedBlock)
    return updated.with_changes(body=updated.body.with_changes(body=kept or [statement("pass\n")]))


@RULE.on(cst.SimpleStatementLine)
def stop_in_close(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """In the class's own close(), closing the base becomes stopping its controller."""
    server = next((s for s in plan.servers if s.base_close is original), None)
    if server is None or not isinstance(original, cst.SimpleStatementLine):
        return updated
    call = original.body[0]
    assert isinstance(call, cst.Expr) and isinstance(call.value, cst.Call)
    me = close_self(server)
    stop = statement(f"{me}.{CONTROLLER_ATTRIBUTE}.stop()  # smtpd closed the server here\n")
    if original.trailing_whitespace.comment is not None:  # the program's own comment stays
        stop = stop.with_changes(trailing_whitespace=original.trailing_whitespace)
    return keep_leading_lines(original, [stop])[0]


def close_self(server: ServerClass) -> str:
    """The name close() calls its instance by."""
    close = next(
        s
        for s in block_body(server.node.body)
        if isinstance(s, cst.FunctionDef) and s.name.value == "close"
    )
    return close.params.params[0].name.value


@RULE.on(cst.Module)
def add_executor(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
    if not plan.servers or not isinstance(updated, cst.Module):
        return updated
    for server in reversed([s for s in plan.servers if s.own_executor]):
        code = OWN_EXECUTOR_CODE.format(name=server.name, executor=server.executor)
        updated = insert_helpers(updated, code)
    if plan.makes_shared_executor:
        updated = insert_helpers(updated, EXECUTOR_CODE.format(executor=SHARED_EXECUTOR))
    return insert_helpers(updated, executor_class_code(bool(plan.polls)))


@RULE.on(cst.Module)
def add_not_implemented_handler(
    plan: Plan, original: cst.CSTNode, updated: cst.CSTNode
) -> cst.CSTNode:
    if not plan.convert or not plan.needs_not_implemented_handler:
        return updated
    assert isinstance(updated, cst.Module)
    plan.imports.add(("traceback", None))
    return insert_helpers(updated, NOT_IMPLEMENTED_CODE)

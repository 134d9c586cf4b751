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
from typing import List

import libcst as cst
import libcst.matchers
from libcst.metadata import ParentNodeProvider

from smtpd_compat.codemod._build import (
    EMPTY,
    block_body,
    insert_helpers,
    keep_leading_lines,
    statement,
)
from smtpd_compat.codemod._close import CONTROLLER_ATTRIBUTE
from smtpd_compat.codemod._names import dotted_name
from smtpd_compat.codemod._plan import (
    DISPATCHER_ATTRS,
    LEGACY_ATTRS,
    NOT_IMPLEMENTED_HANDLER,
    SECTION_HANDLER,
    SECTION_STARTUP,
    SERVER_BASES,
    Instance,
    Plan,
    ServerClass,
)
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._rule import Result, Rule

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
    server = instance.server
    if what == "close" and server is not None and server.closes_itself and served_by_threads:
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


EXECUTOR = "PROCESS_MESSAGE_EXECUTOR"
EXECUTOR_CODE = f"""\
# smtpd ran process_message on its only thread, one call at a time, as this does.
{EXECUTOR} = concurrent.futures.ThreadPoolExecutor(max_workers=1)
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
DECODING_HOOKS = """\
async def handle_EHLO(self, server, session, envelope, hostname, responses):
    # smtpd with decode_data=True did not offer 8BITMIME.
    session.host_name = hostname
    return [line for line in responses if line != "250-8BITMIME"]


async def handle_MAIL(self, server, session, envelope, address, mail_options):
    # smtpd with decode_data=True knew no BODY= parameter.
    if any(option.startswith("BODY=") for option in mail_options):
        return "555 MAIL FROM parameters not recognized or not implemented"
    envelope.mail_from = address
    envelope.mail_options.extend(mail_options)
    return "250 OK"
"""

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


def handle_data(server: ServerClass) -> cst.BaseStatement:
    decode = '\n        data = data.decode("utf-8")' if server.decode_data else ""
    options = "".join(f"\n            {k}={OPTION_VALUES[k]}," for k in server.option_kwargs)
    code = HANDLE_DATA.format(
        decode=decode, options=options, executor=EXECUTOR, on_error=on_error(server)
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
    return list(cst.parse_module(DECODING_HOOKS).body)


def generated_init(server: ServerClass) -> cst.BaseStatement:
    lines = [f"    self.{attr} = {LEGACY_ATTRS[attr]}" for attr in sorted(server.attrs_read)]
    return statement(GENERATED_INIT.format(assignments="\n".join(lines)))


def server_for(plan: Plan, node: cst.CSTNode) -> ServerClass | None:
    return next((s for s in plan.servers if s.node is node), None)


@RULE.on(cst.ClassDef)
def convert_class(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
    server = server_for(plan, original)
    if server is None or not isinstance(updated, cst.ClassDef):
        return updated
    bases = [b for b in updated.bases if plan.names.legacy_name(b.value) not in SERVER_BASES]
    body: List[cst.BaseStatement] = []
    for stmt in block_body(updated.body):
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "process_message":
            if server.init is None and server.attrs_read:
                body.append(generated_init(server))
            generated = [*decoding_hooks(server), handle_data(server)]
            body.append(generated[0].with_changes(leading_lines=stmt.leading_lines))
            body += [g.with_changes(leading_lines=[EMPTY]) for g in generated[1:]]
            stmt = stmt.with_changes(leading_lines=[EMPTY])
        body.append(stmt)
    plan.imports.update({("asyncio", None), ("functools", None), ("concurrent.futures", None)})
    if "traceback.print_exc()" in on_error(server):
        plan.imports.add(("traceback", None))
    return updated.with_changes(
        bases=[b.with_changes(comma=cst.MaybeSentinel.DEFAULT) for b in bases],
        lpar=cst.MaybeSentinel.DEFAULT if not bases else updated.lpar,
        rpar=cst.MaybeSentinel.DEFAULT if not bases else updated.rpar,
        body=updated.body.with_changes(body=body),
    )


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
    return insert_helpers(updated, EXECUTOR_CODE)


@RULE.on(cst.Module)
def add_not_implemented_handler(
    plan: Plan, original: cst.CSTNode, updated: cst.CSTNode
) -> cst.CSTNode:
    if not plan.convert or not plan.needs_not_implemented_handler:
        return updated
    assert isinstance(updated, cst.Module)
    plan.imports.add(("traceback", None))
    return insert_helpers(updated, NOT_IMPLEMENTED_CODE)

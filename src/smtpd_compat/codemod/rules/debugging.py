"""Rule ``debugging``: ``smtpd.DebuggingServer`` becomes a handler that prints the same.

Guide section: "Rule debugging: DebuggingServer and PureProxy".

aiosmtpd's ``Debugging`` handler prints differently (``X-Peer: ('127.0.0.1',
4711)`` instead of ``X-Peer: 127.0.0.1``, decoded lines instead of the ``repr``
of each bytes line), so ``DebuggingServer(...)`` becomes a
``LegacyDebuggingHandler`` written into the module that keeps smtpd's output,
started like any other server by the ``startup`` rule. ``PureProxy`` is left
as is and reported: its relaying differs from aiosmtpd's ``Proxy`` in ways
that need a decision (it has raised TypeError on every message since 3.6).
A subclass that keeps its ``process_message`` without ``decode_data=True`` keeps
failing the same way (noted): the method fails on the bytes it gets.

A subclass of either that has its own ``process_message`` and calls its base's
(``super().process_message(...)``, ``smtpd.PureProxy.process_message(self, ...)``,
``self._deliver(...)``) inherits those methods, with smtpd's code, from a class
written into the module (``DebuggingServerMethods``, ``PureProxyMethods``), so it
prints or relays exactly as before (``_base_methods``).
"""

from __future__ import annotations

import textwrap

import libcst as cst

from smtpd_compat.codemod._base_methods import METHODS_CODE, base_use
from smtpd_compat.codemod._build import insert_helpers
from smtpd_compat.codemod._close import CLOSE_METHOD
from smtpd_compat.codemod._plan import DEBUGGING_HANDLER, SECTION_DEBUGGING, SERVER_SUBCLASSES, Plan
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._rule import Result, Rule
from smtpd_compat.codemod.rules.handler import decoding_hooks_code

RULE = Rule("debugging", "DebuggingServer becomes a handler printing the same", SECTION_DEBUGGING)


@RULE.needed_when
def has_debugging_server(plan: Plan) -> bool:
    return plan.needs_debugging_handler or bool(plan.base_uses)


@RULE.analysis
def find_base_uses(planner: Planner, module: cst.Module) -> None:
    """Server classes calling their DebuggingServer/PureProxy base's methods inherit them."""
    for server in planner.plan.servers:
        bases = [planner.legacy(b.value) for b in server.node.bases]
        base = next((b for b in bases if b in SERVER_SUBCLASSES), None)
        if base is None:
            continue
        use = base_use(server.node, base, planner.plan.names)
        if not use.reaches:
            continue
        if use.methods_class in planner.name_uses:
            planner.block(
                server.node,
                f"class {server.name} calls its base's methods, which would be kept in a "
                f"class {use.methods_class}: this module already uses that name",
                SECTION_DEBUGGING,
            )
            continue
        if base == "smtpd.PureProxy" and server.raised_type_error and use.inherits:
            # It keeps failing as smtpd's did: on the bytes it gets, before relaying (noted).
            server.keeps_failing_relay = True
        planner.plan.base_uses[server.name] = use
        if base == "smtpd.PureProxy":
            server.attrs_read.add("_remoteaddr")  # where PureProxyMethods relays to


# The hooks as methods of the handler class (one blank line between them).
HOOKS = textwrap.indent(decoding_hooks_code("self.decode_data").replace("\n\n\n", "\n\n"), "    ")
LEGACY_DEBUGGING_HANDLER = f'''\
class {DEBUGGING_HANDLER}:
    """Prints each message as smtpd.DebuggingServer did."""

    def __init__(self, decode_data=False):
        # The Controller stays in bytes mode (its decode_data is strict ASCII): this decodes.
        self.decode_data = decode_data

{HOOKS}
    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content[:-2].replace(b"\\r\\n", b"\\n")
        if self.decode_data:
            data = data.decode("utf-8")
        print("---------- MESSAGE FOLLOWS ----------")
        if not self.decode_data and envelope.mail_options:
            print("mail options: %s" % envelope.mail_options)
        if not self.decode_data and envelope.rcpt_options:
            print("rcpt options: %s\\n" % envelope.rcpt_options)
        in_headers = True
        for line in data.splitlines():
            if in_headers and not line:
                peer_header = "X-Peer: " + session.peer[0]
                print(peer_header if self.decode_data else repr(peer_header.encode("utf-8")))
                in_headers = False
            print(line if self.decode_data else repr(line))
        print("------------ END MESSAGE ------------")
        return "250 OK"
'''


@RULE.on(cst.ClassDef)
def rebase_debugging_subclass(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """``class Name(smtpd.DebuggingServer): pass`` prints as its base did: the handler's."""
    if not plan.convert or not isinstance(updated, cst.ClassDef):
        return updated
    if not any(original is c for c in plan.debugging_classes.values()):
        return updated
    base = updated.bases[0].with_changes(value=cst.Name(DEBUGGING_HANDLER))
    return updated.with_changes(bases=[base])


@RULE.on(cst.Module)
def add_debugging_handler(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not plan.needs_debugging_handler:
        return updated
    assert isinstance(updated, cst.Module)
    if plan.debugging_handler_closes:  # code closes one: its close() stops its controller
        return insert_helpers(
            updated, LEGACY_DEBUGGING_HANDLER + textwrap.indent("\n" + CLOSE_METHOD, "    ")
        )
    return insert_helpers(updated, LEGACY_DEBUGGING_HANDLER)


@RULE.on(cst.ClassDef)
def inherit_base_methods(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """The handler inherits the base methods it calls from the class that keeps them."""
    if not plan.convert or not isinstance(updated, cst.ClassDef):
        return updated
    if not isinstance(original, cst.ClassDef) or original.name.value not in plan.base_uses:
        return updated
    use = plan.base_uses[original.name.value]
    base = cst.Arg(cst.Name(use.methods_class))
    bases = [base, *(b.with_changes(comma=cst.MaybeSentinel.DEFAULT) for b in updated.bases)]
    return updated.with_changes(bases=bases, lpar=cst.LeftParen(), rpar=cst.RightParen())


@RULE.on(cst.Attribute)
def name_methods_class(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """``smtpd.PureProxy.process_message`` becomes ``PureProxyMethods.process_message``."""
    if not plan.convert or not isinstance(updated, cst.Attribute):
        return updated
    for use in plan.base_uses.values():
        if any(original is r for r in use.references):
            return updated.with_changes(value=cst.Name(use.methods_class))
    return updated


@RULE.on(cst.Module)
def add_methods_classes(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not plan.base_uses:
        return updated
    assert isinstance(updated, cst.Module)
    for base in sorted({use.base for use in plan.base_uses.values()}, reverse=True):
        updated = insert_helpers(updated, METHODS_CODE[base])
        if base == "smtpd.PureProxy":
            plan.imports.add(("smtplib", None))
    return updated

"""Rule ``debugging``: ``smtpd.DebuggingServer`` becomes a handler that prints the same.

Guide section: "Rule debugging: DebuggingServer and PureProxy".

aiosmtpd's ``Debugging`` handler prints differently (``X-Peer: ('127.0.0.1',
4711)`` instead of ``X-Peer: 127.0.0.1``, decoded lines instead of the ``repr``
of each bytes line), so ``DebuggingServer(...)`` becomes a
``LegacyDebuggingHandler`` written into the module that keeps smtpd's output,
started like any other server by the ``startup`` rule. ``PureProxy`` is left
as is and reported: its relaying differs from aiosmtpd's ``Proxy`` in ways
that need a decision (it has raised TypeError on every message since 3.6).
"""

from __future__ import annotations

import libcst as cst

from smtpd_compat.codemod._build import insert_helpers
from smtpd_compat.codemod._plan import DEBUGGING_HANDLER, SECTION_DEBUGGING, Plan
from smtpd_compat.codemod._rule import Result, Rule

RULE = Rule("debugging", "DebuggingServer becomes a handler printing the same", SECTION_DEBUGGING)


@RULE.needed_when
def has_debugging_server(plan: Plan) -> bool:
    return plan.needs_debugging_handler


LEGACY_DEBUGGING_HANDLER = f'''\
class {DEBUGGING_HANDLER}:
    """Prints each message as smtpd.DebuggingServer did."""

    def __init__(self, decode_data=False):
        # The Controller stays in bytes mode (its decode_data is strict ASCII): this decodes.
        self.decode_data = decode_data

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # smtpd with decode_data=True did not offer 8BITMIME.
        session.host_name = hostname
        if self.decode_data:
            return [line for line in responses if line != "250-8BITMIME"]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # smtpd with decode_data=True knew no BODY= parameter.
        if self.decode_data and any(option.startswith("BODY=") for option in mail_options):
            return "555 MAIL FROM parameters not recognized or not implemented"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

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
    return insert_helpers(updated, LEGACY_DEBUGGING_HANDLER)

"""A server made while a message is handled: in ``process_message`` or a method it calls.

Relays written by people new to smtpd build ``smtpd.SMTPServer(host, port)`` in
``process_message`` (or in a ``forward_message`` helper it calls) as if it were a client to
send the message with. smtpd made a new listening server there, which the running loop then
served too, or raised where the arguments were not an address it could bind (a host string
instead of a ``(host, port)`` pair). A converted handler runs ``process_message`` off the
event loop and cannot start servers from it, so the codemod reports the call at its line
instead of treating it as one more start-up.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst
import libcst.matchers as m

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import dotted_name

WHY = (
    "{made}(...) is made in {where}, which runs for each message: smtpd made a new listening "
    "server there, served by the running loop (or raised, where its arguments were no "
    "(host, port) pair it could bind); a converted handler cannot start a server from a "
    "message: to send the message on, use a client (smtplib.SMTP), or make that server at "
    "start-up"
)


def message_methods(server: cst.ClassDef) -> Dict[str, cst.FunctionDef]:
    """``process_message`` and the methods of the class it calls (``self.name(...)``), by
    name, following calls from those too."""
    methods = {s.name.value: s for s in block_body(server.body) if isinstance(s, cst.FunctionDef)}
    found: Dict[str, cst.FunctionDef] = {}
    waiting: List[str] = ["process_message"]
    while waiting:
        name = waiting.pop()
        if name in found or name not in methods:
            continue
        found[name] = methods[name]
        waiting += sorted(called_on_self(methods[name]))
    return found


def called_on_self(method: cst.FunctionDef) -> Set[str]:
    calls = m.findall(method, m.Call(func=m.Attribute(value=m.Name("self"))))
    return {
        c.func.attr.value
        for c in calls
        if isinstance(c, cst.Call) and isinstance(c.func, cst.Attribute)
    }


def made_per_message(call: cst.Call, servers: List[cst.ClassDef]) -> Optional[Tuple[str, str]]:
    """(``Class.method``, what is made) where ``call`` runs while a message is handled."""
    for server in servers:
        for name, method in message_methods(server).items():
            if any(found is call for found in m.findall(method, m.Call())):
                made = dotted_name(call.func) or "the server"
                return f"{server.name.value}.{name}", made
    return None


def per_message_reason(call: cst.Call, servers: List[cst.ClassDef]) -> Optional[str]:
    """The report for a server made while a message is handled; None elsewhere."""
    found = made_per_message(call, servers)
    if found is None:
        return None
    where, made = found
    return WHY.format(made=made, where=where)

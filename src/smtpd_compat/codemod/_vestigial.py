"""A ``(smtpd.DebuggingServer, threading.Thread)`` class that never was a server.

Dev-mode helpers write ``class DebugServer(smtpd.DebuggingServer, threading.Thread)``
whose ``__init__`` initialises only the Thread base and whose ``run()`` creates a
separate, plain server and runs the loop: the smtpd base is never initialised, binds
nothing and serves nothing. Such a class is a plain Thread subclass; the server its
``run()`` makes is converted like any other, and the unused base goes (rule thread).

It is read so only where nothing could reach the smtpd base: the class has its own
``__init__``, calls no ``super()`` and no method of an smtpd class (it may create one),
and defines or uses on ``self`` none of the dispatcher's or smtpd's attributes. What
still differs (``isinstance`` against the smtpd class, the dispatcher's ``repr()``) is
noted.
"""

from __future__ import annotations

from typing import Optional, Set

import libcst as cst
import libcst.matchers as m

from smtpd_compat.codemod._build import block_body, is_docstring
from smtpd_compat.codemod._names import LegacyNames
from smtpd_compat.codemod._plan import DISPATCHER_ATTRS, LEGACY_ATTRS, SERVER_BASES

# What a server class defines for smtpd to call, besides the dispatcher's attributes
SERVER_HOOKS = frozenset("process_message __getattr__ __repr__".split())
UNUSED_BASE = (
    "class {cls} no longer derives from {base}, which its __init__ never initialised (it "
    "bound and served nothing; its run() serves): isinstance(x, {base}) is now False and "
    "repr() is threading.Thread's"
)


def unused_server_base(node: cst.ClassDef, names: LegacyNames) -> Optional[str]:
    """The smtpd base of a ``(server, Thread)`` class that never initialises it, else None."""
    bases = [names.legacy_name(b.value) for b in node.bases]
    servers = [b for b in bases if b in SERVER_BASES]
    threads = [b for b in node.bases if names.is_thread_class(b.value)]
    if len(node.bases) != 2 or len(servers) != 1 or len(threads) != 1 or node.keywords:
        return None
    body = block_body(node.body)
    methods = {s.name.value for s in body if isinstance(s, cst.FunctionDef)}
    others = [s for s in body if not isinstance(s, cst.FunctionDef) and not is_docstring(s)]
    if "__init__" not in methods or others or node.decorators:
        return None
    reached = DISPATCHER_ATTRS | set(LEGACY_ATTRS) | SERVER_HOOKS
    if methods & reached or self_attributes(node) & reached:
        return None
    if m.findall(node.body, m.Call(func=m.Name("super"))):
        return None
    owners = [a.value for a in m.findall(node.body, m.Attribute()) if isinstance(a, cst.Attribute)]
    if any(names.legacy_name(owner) in SERVER_BASES for owner in owners):
        return None  # ``smtpd.SMTPServer.__init__(self, ...)``, a base method called
    return servers[0]


def self_attributes(node: cst.ClassDef) -> Set[str]:
    """``self.<name>`` anywhere in the class, read or written."""
    found = m.findall(node.body, m.Attribute(value=m.Name("self")))
    return {a.attr.value for a in found if isinstance(a, cst.Attribute)}

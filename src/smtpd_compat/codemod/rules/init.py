"""Rule ``init``: ``__init__`` overrides stop calling ``smtpd.SMTPServer.__init__``.

Guide section: "Rule init: __init__ overrides".

``smtpd.SMTPServer.__init__(self, localaddr, remoteaddr, ...)`` and the
``super()`` forms bound a socket; a handler binds nothing. The call becomes the
attribute assignments smtpd made (``_localaddr``, ``_remoteaddr`` and the
options passed: ``data_size_limit``, ``enable_SMTPUTF8``, ``_decode_data``), so
the rest of ``__init__``, the body and the start-up code read the same values.
A base call inside ``if sys.version_info ...:`` decided on every target Python
converts too: the ``if`` becomes the branch those Pythons take (_versions).
"""

from __future__ import annotations

from typing import List

import libcst as cst

from smtpd_compat.codemod._build import (
    code_of,
    insert_helpers,
    keep_leading_lines,
    leading_lines,
    statement,
    with_leading_lines,
)
from smtpd_compat.codemod._plan import LEGACY_ATTRS, SECTION_INIT, Plan, ServerClass
from smtpd_compat.codemod._rule import Result, Rule
from smtpd_compat.codemod._versions import live_branch
from smtpd_compat.codemod.rules.thread import controller_statements

RULE = Rule("init", "__init__ overrides store smtpd's attributes", SECTION_INIT)


@RULE.needed_when
def has_init(plan: Plan) -> bool:
    return any(s.init is not None for s in plan.servers)


ATTRIBUTE_FOR = {param: attr for attr, param in LEGACY_ATTRS.items()}


SERVER_ATTRIBUTES = '''\
def smtpd_server_attributes(
    server, localaddr, remoteaddr, data_size_limit=33554432, map=None, enable_SMTPUTF8=False,
    decode_data=False,
):
    """Set the attributes smtpd.SMTPServer.__init__ set, from the same arguments."""
    server._localaddr = localaddr
    server._remoteaddr = remoteaddr
    server.data_size_limit = data_size_limit
    server.enable_SMTPUTF8 = enable_SMTPUTF8
    server._decode_data = decode_data
'''


def forwarded_attributes(server: ServerClass) -> cst.BaseStatement:
    """``super().__init__(*args, **kwargs)``: the same arguments, bound as smtpd bound them."""
    forwarding = server.forwarding
    assert forwarding is not None
    default = cst.MaybeSentinel.DEFAULT
    passed = [code_of(a.with_changes(comma=default)) for a in forwarding.base_args]
    if server.self_name is not None:  # else self is the first of ``*args``
        passed.insert(0, server.self_name)
    return statement(f"smtpd_server_attributes({', '.join(passed)})\n")


def assignments(plan: Plan, server: ServerClass) -> List[cst.BaseStatement]:
    me = server.self_name or "self"  # (None only where self is in ``*args``: no binding here)
    # it binds its controller where smtpd bound (rules thread, startup)
    binds = server.thread is not None or server.loop_thread is not None or server.binds_in_init
    bound = dispatcher_address(server, me)
    if server.forwards:
        controller = controller_statements(plan, server, me) if binds else []
        return [forwarded_attributes(server), *bound, *controller]
    stored = []
    for param in ("localaddr", "remoteaddr", "data_size_limit", "enable_SMTPUTF8", "decode_data"):
        if param in server.base_args:
            value = code_of(server.base_args[param])
            stored.append(statement(f"{me}.{ATTRIBUTE_FOR[param]} = {value}\n"))
    stored += bound
    if binds:
        stored += controller_statements(plan, server, me)
    return stored


def dispatcher_address(server: ServerClass, me: str) -> List[cst.BaseStatement]:
    """``self.addr``, read by the class or its users: asyncore's bind() set it to the
    address smtpd was given (``_localaddr``), not to the port the system chose."""
    if "addr" not in server.attrs_read:
        return []
    return [statement(f"{me}.addr = {me}._localaddr  # as asyncore's bind() set it\n")]


@RULE.on(cst.Module)
def add_attribute_helper(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not any(s.forwards for s in plan.servers):
        return updated
    assert isinstance(updated, cst.Module)
    return insert_helpers(updated, SERVER_ATTRIBUTES)


@RULE.on(cst.SimpleStatementLine)
def replace_base_init(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    server = next((s for s in plan.servers if s.base_init is original), None)
    if server is None or not isinstance(original, cst.SimpleStatementLine):
        return updated
    return cst.FlattenSentinel(keep_leading_lines(original, assignments(plan, server)))


@RULE.on(cst.If)
def take_version_branch(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    """A version check around the base call: the branch every target Python takes."""
    if not plan.convert or not isinstance(updated, cst.If):
        return updated
    if not any(original is check for s in plan.servers for check in s.version_ifs):
        return updated
    live = list(live_branch(updated) or [])  # the test is the original's: no rule rewrites it
    if not live:
        return cst.FlattenSentinel(keep_leading_lines(updated, [statement("pass\n")]))
    # the comments above the ``if``, then those above the branch's first statement
    first = with_leading_lines(live[0], [*leading_lines(updated), *leading_lines(live[0])])
    return cst.FlattenSentinel([first, *live[1:]])

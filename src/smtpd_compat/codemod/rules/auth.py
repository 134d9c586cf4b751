"""Rule ``auth``: an AUTH channel becomes an ``authenticator=`` for the Controller.

Guide section: "Rule auth: AUTH channels become an authenticator".

A channel subclass that only implements AUTH PLAIN in the shape of CPython's
test_smtplib (``smtp_AUTH``, a custom state in ``found_terminator``, one helper
decoding the credentials and pushing 235 or 535; see ``_auth.py``) goes, with
the server's ``channel_class`` line. aiosmtpd runs the exchange itself; the
helper's test becomes a module-level ``<channel>_authenticator(server, session,
envelope, mechanism, auth_data)`` returning ``AuthResult(success=...)``, passed
to every Controller of that server with ``auth_require_tls=False`` (the legacy
server took AUTH in plain text), ``auth_exclude_mechanism=["LOGIN"]`` (it had
no LOGIN) and ``auth_required=True`` when its ``smtp_MAIL`` refused MAIL
before AUTH.
"""

from __future__ import annotations

from typing import List

import libcst as cst

from smtpd_compat.codemod._accept import accept_method
from smtpd_compat.codemod._build import block_body, code_of, keep_leading_lines, statements
from smtpd_compat.codemod._channels import (
    ChannelPlan,
    authenticator_name,
    channel_class_of,
    negated,
)
from smtpd_compat.codemod._plan import SECTION_AUTH, Plan, ServerClass
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._rule import Result, Rule

RULE = Rule("auth", "AUTH channels become an authenticator=", SECTION_AUTH)


@RULE.analysis
def check_authenticator_name(planner: Planner, module: cst.Module) -> None:
    """The function this rule writes must not take a name the module uses."""
    for server in planner.plan.servers:
        channel = server.channel
        if channel is not None and channel.auth is not None:
            name = authenticator_name(channel)
            if name in planner.name_uses:
                planner.block(
                    channel.node, f"the name {name} is taken in this module", SECTION_AUTH
                )


@RULE.needed_when
def has_auth_channel(plan: Plan) -> bool:
    return any(s.channel is not None and s.channel.auth for s in plan.servers)


def authenticator_code(channel: ChannelPlan) -> str:
    auth = channel.auth
    assert auth is not None
    test = auth.condition
    if not auth.success_when:
        test = negated(test)
    success = code_of(test)
    if not isinstance(test, (cst.Comparison, cst.UnaryOperation)):
        success = f"bool({success})"
    return (
        f"def {authenticator_name(channel)}(server, session, envelope, mechanism, auth_data):\n"
        f"    # The credential check of {channel.name}.{auth.helper}; aiosmtpd runs the\n"
        "    # AUTH PLAIN exchange. smtpd dropped the connection on undecodable credentials.\n"
        "    try:\n"
        f"        {auth.user} = auth_data.login.decode({auth.decode_args})\n"
        f"        {auth.password} = auth_data.password.decode({auth.decode_args})\n"
        "    except UnicodeDecodeError:\n"
        "        return AuthResult(success=False, handled=False)\n"
        f"    return AuthResult(success={success}, handled=False)\n"
    )


def controller_options(server: ServerClass) -> List[str]:
    """The Controller arguments for a server whose channel became an authenticator."""
    channel = server.channel
    if channel is None or channel.auth is None:
        return []
    options = [
        f"authenticator={authenticator_name(channel)}",
        "auth_require_tls=False",
        'auth_exclude_mechanism=["LOGIN"]',
    ]
    return options + (["auth_required=True"] if channel.auth.auth_required else [])


@RULE.on(cst.ClassDef)
def convert(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not isinstance(updated, cst.ClassDef):
        return updated
    for server in plan.servers:
        channel = server.channel
        if channel is None or channel.auth is None:
            continue
        if original is channel.node:
            plan.imports.add(("aiosmtpd.smtp", "AuthResult"))
            new = statements(authenticator_code(channel))
            return cst.FlattenSentinel(keep_leading_lines(updated, new))
        if original is server.node:
            return without_channel_class(updated)
    return updated


def without_channel_class(server: cst.ClassDef) -> cst.ClassDef:
    """The server class without what built its channels: channel_class, handle_accept."""
    _, assignment = channel_class_of(server)
    gone = {id(assignment), id(accept_method(server))}
    body = [s for s in block_body(server.body) if id(s) not in gone]
    if body and id(block_body(server.body)[0]) in gone:
        body[0] = body[0].with_changes(leading_lines=[])
    return server.with_changes(body=server.body.with_changes(body=body))

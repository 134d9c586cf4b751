"""Other bases of a server class that its handler keeps: plain classes of the same module.

``class MailService(Runner, smtpd.SMTPServer)``, where ``Runner`` is a class of the module
that knows nothing of smtpd, asyncore or sockets (its name, ``log()``, ``run()``), stays
``class MailService(Runner)``: the handler keeps what ``Runner`` gives. A name ``Runner``
defines that the dispatcher has too (only ``log``, which asyncore never calls itself) was
``Runner``'s in smtpd's MRO only where ``Runner`` comes first: there the server class may
use it, and a handler keeps it the same.
Anything else (a base from another module, one that reads the dispatcher's attributes, or
defines what the codemod gives the handler: ``close``, ``socket``, ``controller``, hooks)
is reported, as before.
"""

from __future__ import annotations

from typing import List, Optional, Set

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import LegacyNames, dotted_name
from smtpd_compat.codemod._plan import DISPATCHER_ATTRS, LEGACY_ATTRS

m = cst.matchers
# What the converted handler gets from the codemod: a plain base must not define these.
GIVEN_TO_HANDLER = frozenset({"close", "socket", "controller", "process_message"})
# The one dispatcher method asyncore and smtpd never call themselves: a base may replace it.
NEVER_CALLED_BY_ASYNCORE = frozenset({"log"})


def plain_base(
    module: cst.Module, base: cst.Arg, names: LegacyNames, first: bool
) -> Optional[cst.ClassDef]:
    """The module's own class ``base`` names, when the handler can keep it as its base.

    ``first``: it comes before the legacy base (its names won over the dispatcher's).
    """
    if not isinstance(base.value, cst.Name) or base.keyword is not None or base.star:
        return None
    classes = [
        s for s in module.body if isinstance(s, cst.ClassDef) and s.name.value == base.value.value
    ]
    if len(classes) != 1 or rebound(module, base.value.value):
        return None
    node = classes[0]
    if (
        node.keywords
        or node.decorators
        or [dotted_name(b.value) for b in node.bases]
        not in (
            [],
            ["object"],
        )
    ):
        return None
    if uses_legacy(node, names):
        return None
    defined = defined_names(node)
    if defined & GIVEN_TO_HANDLER or any(n.startswith("handle_") for n in defined):
        return None
    if defined & set(LEGACY_ATTRS) or defined & DISPATCHER_ATTRS - NEVER_CALLED_BY_ASYNCORE:
        return None  # asyncore called its own (handle_error -> log_info), a handler never does
    if defined & DISPATCHER_ATTRS and not first:
        return None  # smtpd's attribute won in the MRO; the handler would get this one
    if (self_reads(node) - defined) & (DISPATCHER_ATTRS | set(LEGACY_ATTRS)):
        return None
    return node


def rebound(module: cst.Module, name: str) -> bool:
    """The class name is assigned, imported or defined again somewhere."""
    found = m.findall(
        module,
        m.AssignTarget(target=m.Name(name)) | m.AsName(name=m.Name(name)) | m.Global(),
    )
    return bool(found)


def uses_legacy(node: cst.ClassDef, names: LegacyNames) -> bool:
    found = m.findall(node, m.Name() | m.Attribute())
    return any(
        isinstance(n, (cst.Name, cst.Attribute)) and names.legacy_name(n) is not None for n in found
    )


def defined_names(node: cst.ClassDef) -> Set[str]:
    """Methods, class attributes and ``self.<name> = ...`` of a class."""
    defined: Set[str] = set()
    for statement in block_body(node.body):
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            defined.add(statement.name.value)
        for target in m.findall(statement, m.AssignTarget(target=m.Name())):
            if isinstance(target, cst.AssignTarget) and isinstance(target.target, cst.Name):
                defined.add(target.target.value)
    for target in m.findall(node, m.AssignTarget(target=m.Attribute(value=m.Name("self")))):
        if isinstance(target, cst.AssignTarget) and isinstance(target.target, cst.Attribute):
            defined.add(target.target.attr.value)
    return defined


def self_reads(node: cst.ClassDef) -> Set[str]:
    found = m.findall(node, m.Attribute(value=m.Name("self")))
    return {a.attr.value for a in found if isinstance(a, cst.Attribute)}


def kept_bases(module: cst.Module, node: cst.ClassDef, names: LegacyNames) -> List[cst.Arg]:
    """The bases of a server class (besides smtpd's and threading's) its handler keeps."""
    kept = []
    first = True
    for base in node.bases:
        if names.legacy_name(base.value) is not None:
            first = False
        elif plain_base(module, base, names, first) is not None:
            kept.append(base)
    return kept


def given_names(module: cst.Module, node: cst.ClassDef, names: LegacyNames) -> Set[str]:
    """What the kept bases before the legacy one give the class (not the dispatcher's)."""
    given: Set[str] = set()
    for base in kept_bases(module, node, names):
        plain = plain_base(module, base, names, first=True)
        if plain is not None and node.bases.index(base) < legacy_position(node, names):
            given |= defined_names(plain)
    return given


def legacy_position(node: cst.ClassDef, names: LegacyNames) -> int:
    return next(
        (i for i, b in enumerate(node.bases) if names.legacy_name(b.value) is not None),
        len(node.bases),
    )

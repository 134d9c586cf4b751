"""Resolve names bound by imports to the legacy API they stand for.

``import smtpd as s``, ``from smtpd import SMTPServer as Base`` and
``import smtpd_compat as smtpd`` all make a name stand for a legacy object: this
module maps each local name to its canonical dotted name (``smtpd.SMTPServer``,
``asyncore.loop``), treating ``smtpd_compat`` as ``smtpd``.
"""

from __future__ import annotations

from typing import Dict, Optional, Set

import libcst as cst

LEGACY_MODULES = ("smtpd", "asyncore", "asynchat")
ALIASES = {"smtpd_compat": "smtpd"}


def canonical_module(dotted: str) -> Optional[str]:
    """``smtpd``/``smtpd_compat`` -> ``smtpd``; other legacy modules as is; else None."""
    name = ALIASES.get(dotted, dotted)
    return name if name in LEGACY_MODULES else None


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a chain of Names and Attributes, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


class LegacyNames(cst.CSTVisitor):
    """Collects, from every import in a module, local name -> canonical legacy name."""

    def __init__(self) -> None:
        self.table: Dict[str, str] = {}
        # The names threading.Thread goes by here (``Thread`` after ``from threading import
        # Thread``): the thread rule needs them, and they are no legacy API to report.
        self.thread_class: Set[str] = {"threading.Thread"}
        # Name nodes spelled as a legacy name that stand for something the program
        # defined (a fixture ``def smtpd()``, a parameter): set by ``_shadowing``.
        self.shadowed: Set[int] = set()
        # DEBUGSTREAM named by a print that converted code drops (rule debugstream)
        self.discarded: Set[int] = set()

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if dotted_name(alias.name) == "threading" and alias.asname is not None:
                local_module = alias.asname.name
                if isinstance(local_module, cst.Name):
                    self.thread_class.add(f"{local_module.value}.Thread")
            module = canonical_module(dotted_name(alias.name) or "")
            if module is None:
                continue
            local = alias.asname.name if alias.asname else alias.name
            if isinstance(local, cst.Name):
                self.table[local.value] = module

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        if dotted_name(node.module) == "threading":
            for alias in node.names:
                local = alias.asname.name if alias.asname else alias.name
                if dotted_name(alias.name) == "Thread" and isinstance(local, cst.Name):
                    self.thread_class.add(local.value)
            return
        module = canonical_module(dotted_name(node.module) or "")
        if module is None:
            return
        for alias in node.names:
            local = alias.asname.name if alias.asname else alias.name
            if isinstance(local, cst.Name) and isinstance(alias.name, cst.Name):
                self.table[local.value] = f"{module}.{alias.name.value}"

    def is_thread_class(self, node: cst.BaseExpression) -> bool:
        """True for ``threading.Thread`` under any name this module gave it."""
        return dotted_name(node) in self.thread_class

    def legacy_name(self, node: cst.BaseExpression) -> Optional[str]:
        """The canonical legacy name an expression stands for, if any."""
        dotted = dotted_name(node)
        first = id(head_name(node))
        if dotted is None or first in self.shadowed or first in self.discarded:
            return None
        head, _, rest = dotted.partition(".")
        if head not in self.table:
            return None
        return through_smtpd(f"{self.table[head]}.{rest}" if rest else self.table[head])


def through_smtpd(name: str) -> str:
    """``smtpd.asyncore.loop`` is ``asyncore.loop``: smtpd imported both modules it
    builds on, and programs reached them through it."""
    for module in ("asyncore", "asynchat"):
        prefix = f"smtpd.{module}"
        if name == prefix or name.startswith(prefix + "."):
            return module + name[len(prefix) :]
    return name


def head_name(node: cst.BaseExpression) -> cst.BaseExpression:
    """``a`` of ``a.b.c``."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return node

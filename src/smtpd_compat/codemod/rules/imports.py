"""Rule ``imports``: drop unused smtpd/asyncore/asynchat imports, add aiosmtpd's.

Guide section: "Rule imports".

Runs after the other rules. An import of ``smtpd``, ``smtpd_compat``,
``asyncore`` or ``asynchat`` goes only when nothing in the module uses the
name any more; the imports the emitted code needs are added once each.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from smtpd_compat.codemod._names import ALIASES, LEGACY_MODULES
from smtpd_compat.codemod._plan import Plan
from smtpd_compat.codemod._rule import Rule

RULE = Rule("imports", "unused legacy imports go, aiosmtpd imports come", "Rule imports")

MODULES = (*LEGACY_MODULES, *ALIASES)


class LegacyImports(cst.CSTVisitor):
    """Registers every legacy import for removal-if-unused."""

    def __init__(self, context: CodemodContext) -> None:
        self.context = context

    def visit_Import(self, node: cst.Import) -> None:
        if any(_module(a.name) in MODULES for a in node.names):
            RemoveImportsVisitor.remove_unused_import_by_node(self.context, node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and not node.relative and _module(node.module) in MODULES:
            if not isinstance(node.names, cst.ImportStar):
                RemoveImportsVisitor.remove_unused_import_by_node(self.context, node)


def _module(node: cst.BaseExpression) -> str:
    return cst.Module(body=[]).code_for_node(node)


def finish(plan: Plan, module: cst.Module) -> cst.Module:
    context = CodemodContext()
    for name, obj in sorted(plan.imports, key=lambda item: (item[0], item[1] or "")):
        AddImportsVisitor.add_needed_import(context, name, obj)
    module = AddImportsVisitor(context).transform_module(module)
    if not plan.convert:
        return module
    module.visit(LegacyImports(context))
    return RemoveImportsVisitor(context).transform_module(module)

"""Rule ``imports``: drop unused smtpd/asyncore/asynchat imports, add aiosmtpd's.

Guide section: "Rule imports".

Runs after the other rules. An imported name of ``smtpd``, ``smtpd_compat``,
``asyncore`` or ``asynchat`` goes only when nothing in the module uses it any
more; the imports the emitted code needs are added once each, after the
module's leading imports. (A plain name scan: libcst's scope-based import
visitors cost a second per file.)
"""

from __future__ import annotations

from typing import List, Optional, Set, Tuple

import libcst as cst

from smtpd_compat.codemod._build import import_end, statement
from smtpd_compat.codemod._names import canonical_module, dotted_name
from smtpd_compat.codemod._plan import Plan
from smtpd_compat.codemod._rule import Rule

RULE = Rule("imports", "unused legacy imports go, aiosmtpd imports come", "Rule imports")


class UsedNames(cst.CSTVisitor):
    """Names used outside import statements; imports already present."""

    def __init__(self) -> None:
        self.used: Set[str] = set()
        self.present: Set[Tuple[str, Optional[str]]] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        self.present.update((dotted_name(a.name) or "", None) for a in node.names if not a.asname)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.module is not None and not isinstance(node.names, cst.ImportStar):
            module = dotted_name(node.module) or ""
            self.present.update((module, dotted_name(a.name)) for a in node.names if not a.asname)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.used.add(node.value)


def local_name(alias: cst.ImportAlias) -> str:
    name = alias.asname.name if alias.asname else alias.name
    return (dotted_name(name) or "").split(".")[0]  # type: ignore[arg-type]


def is_legacy(node: cst.BaseSmallStatement) -> bool:
    if isinstance(node, cst.Import):
        return any(canonical_module(dotted_name(a.name) or "") for a in node.names)
    if isinstance(node, cst.ImportFrom) and node.module is not None and not node.relative:
        return canonical_module(dotted_name(node.module) or "") is not None
    return False


def prune(line: cst.SimpleStatementLine, used: Set[str]) -> List[cst.SimpleStatementLine]:
    """The import line without its unused legacy names (nothing if none is left)."""
    small = line.body[0]
    if len(line.body) != 1 or not is_legacy(small):
        return [line]
    assert isinstance(small, (cst.Import, cst.ImportFrom))
    if isinstance(small.names, cst.ImportStar):
        return [line]
    kept = [a for a in small.names if local_name(a) in used]
    if len(kept) == len(small.names):
        return [line]
    if not kept:
        return []
    kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return [line.with_changes(body=[small.with_changes(names=kept)])]


def import_line(module: str, name: Optional[str]) -> cst.BaseStatement:
    return statement(f"from {module} import {name}\n" if name else f"import {module}\n")


def finish(plan: Plan, module: cst.Module) -> cst.Module:
    if not plan.convert:
        return module
    names = UsedNames()
    module.visit(names)
    body: List[cst.BaseStatement] = []
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            pruned = prune(stmt, names.used)
            if not pruned and stmt.leading_lines and stmt.leading_lines[0].comment:
                pruned = []  # a comment above a removed import goes with it
            body.extend(pruned)
        else:
            body.append(stmt)
    wanted = sorted(plan.imports - names.present, key=lambda i: (i[1] is not None, i))
    end = import_end(body)
    added = [import_line(m, n) for m, n in wanted]
    return module.with_changes(body=[*body[:end], *added, *body[end:]])

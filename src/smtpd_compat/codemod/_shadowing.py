"""Where a legacy module's name stands for something else the program defined.

Test modules write ``import smtpd``, a server class on ``smtpd.SMTPServer``, then a
pytest fixture ``def smtpd(): ...`` and tests that take it as a parameter. From that
``def`` on, and inside every function (they run later), ``smtpd`` is the fixture; a
parameter or local variable named ``smtpd`` is never the module. Python resolves the
name so; matching names alone would read ``smtpd()`` and ``smtpd.messages`` as legacy
API and leave the file unconverted.
"""

from __future__ import annotations

from typing import Callable, Collection, Iterator, Optional, Set, Union

import libcst as cst
import libcst.matchers
from libcst.metadata import (
    Access,
    Assignment,
    BaseAssignment,
    ClassScope,
    GlobalScope,
    MetadataWrapper,
    PositionProvider,
    ScopeProvider,
)

# Bindings that make a name something else than an import: a function, a class or a
# parameter. (``smtpd = None`` under ``except ImportError`` is a guard, not one of these.)
Rebinding = Union[cst.FunctionDef, cst.ClassDef, cst.Param]
REBINDINGS = (cst.FunctionDef, cst.ClassDef, cst.Param)


def shadowed_names(wrapper: MetadataWrapper, legacy: Collection[str]) -> Set[int]:
    """Ids of the ``Name`` nodes, spelled as a legacy module's local name, that do not
    stand for it: the names such definitions bind and the reads that find them."""
    found = {id(node.name) for node in rebindings(wrapper.module, legacy)}
    if not found:
        return found  # the common case: no metadata to compute
    scopes = wrapper.resolve(ScopeProvider)
    positions = wrapper.resolve(PositionProvider)
    for scope in {s for s in scopes.values() if s is not None}:
        for access in scope.accesses:
            name = access.node
            if isinstance(name, cst.Name) and name.value in legacy:
                if not finds_import(access, lambda n: positions[n].start.line):
                    found.add(id(name))
    return found


def rebindings(module: cst.Module, legacy: Collection[str]) -> Iterator[Rebinding]:
    m = cst.matchers
    for node in m.findall(module, m.FunctionDef() | m.ClassDef() | m.Param()):
        assert isinstance(node, REBINDINGS)
        if node.name.value in legacy:
            yield node


def finds_import(access: Access, line_of: Callable[[cst.CSTNode], int]) -> bool:
    """Whether Python finds the import when it runs this read of the name."""
    referents = access.referents
    imports = [r for r in referents if is_import(r)]
    others = [r for r in referents if rebinding(r) is not None]
    if not imports:
        return not referents  # a parameter, a local or a function: not the module
    if not others:
        return True
    if not isinstance(access.scope, (GlobalScope, ClassScope)):
        return False  # a function's body runs after the module defined everything
    first = min(line_of(rebinding(r) or access.node) for r in others)
    return line_of(access.node) < first


def is_import(assignment: BaseAssignment) -> bool:
    return isinstance(assignment, Assignment) and isinstance(
        assignment.node, (cst.Import, cst.ImportFrom)
    )


def rebinding(assignment: BaseAssignment) -> Optional[cst.CSTNode]:
    if isinstance(assignment, Assignment) and isinstance(assignment.node, REBINDINGS):
        return assignment.node
    return None

"""A base of the module's own before the smtpd base: the handler keeps it.

Service frameworks write ``class MailService(Runner, smtpd.SMTPServer)``: ``Runner``,
a plain class of the same module, gives the name, a ``log()`` and a ``run()`` that calls
the server's ``serve()``, which runs the loop. Listed first, its attributes win over the
dispatcher's, so the handler that keeps it as its base behaves as the server did where
the base:

- is a class of this module with no bases (or ``object``) and no class keywords, and
  comes before every smtpd base;
- defines none of the dispatcher's attributes the legacy machinery called (only ``log``,
  which nothing in smtpd calls, may be its own) and no ``handle_*`` method (aiosmtpd
  would take it as a hook);
- reads, on ``self``, no dispatcher attribute it does not define itself (the handler's
  ``close()`` and ``socket``, where it gets them, are the server class's concern: _close).

Any other base keeps its blocker (the handler would lose what it gives).
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Set, Tuple

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import LegacyNames, dotted_name
from smtpd_compat.codemod._plan import DISPATCHER_ATTRS, SERVER_BASES

# What only the mixin may define of the dispatcher's surface: smtpd never calls it.
OWN_NAMES = frozenset({"log"})


def module_classes(module: cst.Module) -> Dict[str, cst.ClassDef]:
    return {c.name.value: c for c in module.body if isinstance(c, cst.ClassDef)}


def split_mixins(
    module: cst.Module, node: cst.ClassDef, extra: Sequence[cst.Arg], names: LegacyNames
) -> Tuple[List[cst.ClassDef], List[cst.Arg]]:
    """The extra bases the handler may keep (the module's plain classes listed first)."""
    classes = module_classes(module)
    first_server = min(
        (i for i, b in enumerate(node.bases) if names.legacy_name(b.value) in SERVER_BASES),
        default=len(node.bases),
    )
    mixins: List[cst.ClassDef] = []
    others: List[cst.Arg] = []
    for base in extra:
        found = classes.get(dotted_name(base.value) or "")
        position = next(i for i, b in enumerate(node.bases) if b is base)
        if found is not None and found is not node and position < first_server and plain(found):
            mixins.append(found)
        else:
            others.append(base)
    return mixins, others


def plain(cls: cst.ClassDef) -> bool:
    bases = [dotted_name(b.value) for b in cls.bases]
    return not cls.keywords and all(b == "object" for b in bases)


def defined_names(cls: cst.ClassDef) -> Set[str]:
    """Methods and class attributes a class body defines."""
    found = set()
    for stmt in block_body(cls.body):
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            found.add(stmt.name.value)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets = small.targets if isinstance(small, cst.Assign) else []
                found |= {t.target.value for t in targets if isinstance(t.target, cst.Name)}
    return found


def mixin_problems(mixin: cst.ClassDef) -> List[Tuple[cst.CSTNode, str]]:
    """What the handler cannot keep of the mixin, at the node that causes it."""
    problems: List[Tuple[cst.CSTNode, str]] = []
    for stmt in block_body(mixin.body):
        name = stmt.name.value if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) else None
        if name is None:
            continue
        if name in DISPATCHER_ATTRS - OWN_NAMES:
            problems.append((stmt, f"defines the dispatcher's {name}, which smtpd called"))
        elif name.startswith("handle_"):
            problems.append((stmt, f"defines {name}, which aiosmtpd would call as a hook"))
    own = defined_names(mixin)
    reported: Set[str] = set()
    m = cst.matchers
    for read in m.findall(mixin, m.Attribute(value=m.Name("self"))):
        assert isinstance(read, cst.Attribute)
        name = read.attr.value
        if name in DISPATCHER_ATTRS - own - reported:
            reported.add(name)
            why = "the codemod does not follow it into a base"
            problems.append((read, f"reads the dispatcher's {name}: {why}"))
    return problems

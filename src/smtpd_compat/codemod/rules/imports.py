"""Rule ``imports``: drop unused smtpd/asyncore/asynchat imports, add aiosmtpd's.

Guide section: "Rule imports".

Runs after the other rules. An imported name of ``smtpd``, ``smtpd_compat``,
``asyncore`` or ``asynchat`` goes only when nothing in the module uses it any
more; the imports the emitted code needs are added once each, after the
module's leading imports. (A plain name scan: libcst's scope-based import
visitors cost a second per file.)
"""

from __future__ import annotations

import functools
import sys
import sysconfig
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Set, Tuple, cast

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from smtpd_compat.codemod._build import (
    EMPTY,
    Bindings,
    block_body,
    import_end,
    is_guarded_import,
    is_legacy_fallback,
    leading_lines,
    statement,
    with_leading_lines,
)
from smtpd_compat.codemod._names import LEGACY_MODULES, canonical_module, dotted_name
from smtpd_compat.codemod._plan import Plan
from smtpd_compat.codemod._report import Report
from smtpd_compat.codemod._rule import Rule
from smtpd_compat.codemod._shadowing import shadowed_names


@functools.lru_cache(maxsize=None)
def stdlib_module_names() -> FrozenSet[str]:
    """``sys.stdlib_module_names`` (3.10+); before it, what the stdlib directory holds."""
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names)
    root = Path(sysconfig.get_paths()["stdlib"])
    found = set(sys.builtin_module_names)
    for path in root.iterdir():
        if path.suffix == ".py":
            found.add(path.stem)
        elif (path / "__init__.py").is_file():
            found.add(path.name)
    found.update(p.name.split(".")[0] for p in (root / "lib-dynload").glob("*.so"))
    return frozenset(found)


RULE = Rule("imports", "unused legacy imports go, aiosmtpd imports come", "Rule imports")


CLASH = (
    "the module binds {name} here, the name of the {module} import the converted code needs"
    " (it would read this one instead): rename it"
)


def clash_reports(wrapper: MetadataWrapper, plan: Plan) -> List[Report]:
    """A top-level binding of a name the converted code imports, at its line."""
    found = clashing_bindings(wrapper.module, plan)
    lines = wrapper.resolve(PositionProvider) if found else {}
    return [
        Report(lines[node].start.line, CLASH.format(name=name, module=module), RULE.section)
        for node, name, module in found
    ]


def clashing_bindings(module: cst.Module, plan: Plan) -> List[Tuple[cst.CSTNode, str, str]]:
    """Where the module binds at its top level a name the converted code imports, to
    something else (``queue = Queue()``, ``from smtplib import SMTP``): the converted code
    would read the program's object (ruff F811). Each with the name and its import."""
    wanted = {
        (name or module_name.split(".")[0]): module_name for module_name, name in plan.imports
    }
    bindings = HelperNameBindings(wanted)
    module.visit(bindings)
    return [(node, name, wanted[name]) for node, name in bindings.found]


class HelperNameBindings(Bindings):
    """Module-level bindings of a helper's name by anything but importing that very module
    (an ``if``/``try``/``with``/``for`` block at the top level runs there too)."""

    def __init__(self, wanted: Dict[str, str]) -> None:
        super().__init__(nested=False)
        self.wanted = wanted  # name -> the module the converted code imports it from

    def add(self, node: cst.CSTNode, names: Set[str]) -> None:
        super().add(node, names & set(self.wanted))

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            self.add_import(alias, dotted_name(alias.name) or "", from_module=False)
        return False  # its aliases are read here, with the module they name

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        base = dotted_name(node.module) if node.module is not None else ""
        for alias in [] if isinstance(node.names, cst.ImportStar) else node.names:
            self.add_import(alias, f"{base}.{dotted_name(alias.name) or ''}", from_module=True)
        return False

    def add_import(self, alias: cst.ImportAlias, full: str, from_module: bool) -> None:
        """``import x as queue``, ``from smtplib import SMTP``: the name is another object."""
        name = local_name(alias)
        wanted = self.wanted.get(name)
        if wanted is None:
            return
        top = wanted.split(".")[0]
        if from_module:
            same = full == f"{wanted}.{name}"
        elif alias.asname is None:  # ``import concurrent.futures`` binds ``concurrent``
            same = full.split(".")[0] == top
        else:
            same = full in (wanted, top)
        if not same:
            self.add(alias, {name})


class UsedNames(cst.CSTVisitor):
    """Names used outside import statements; imports already present."""

    def __init__(self, shadowed: Optional[Set[int]] = None) -> None:
        self.used: Set[str] = set()
        self.present: Set[Tuple[str, Optional[str]]] = set()
        self.shadowed = shadowed or set()  # names that are not the import (_shadowing)
        self.depth = 0  # inside a def or class: an import there is no module global

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.depth -= 1

    def visit_Import(self, node: cst.Import) -> bool:
        if not self.depth:
            self.present.update(
                (dotted_name(a.name) or "", None) for a in node.names if not a.asname
            )
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if self.depth:
            return False
        if node.module is not None and not isinstance(node.names, cst.ImportStar):
            module = dotted_name(node.module) or ""
            self.present.update((module, dotted_name(a.name)) for a in node.names if not a.asname)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.shadowed:
            self.used.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # ``fixture.smtpd`` names an attribute, not the module
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # ``f(smtpd=...)``: a keyword, not the module
        return False


def local_name(alias: cst.ImportAlias) -> str:
    name = alias.asname.name if alias.asname else alias.name
    return (dotted_name(name) or "").split(".")[0]


def local_names(node: cst.Import | cst.ImportFrom) -> Set[str]:
    if isinstance(node.names, cst.ImportStar):
        return set()
    return {local_name(a) for a in node.names}


def is_legacy(node: cst.BaseSmallStatement) -> bool:
    if isinstance(node, cst.Import):
        return any(canonical_module(dotted_name(a.name) or "") for a in node.names)
    if isinstance(node, cst.ImportFrom) and node.module is not None and not node.relative:
        return canonical_module(dotted_name(node.module) or "") is not None
    return False


def prune(
    line: cst.SimpleStatementLine, used: Set[str], used_before: Set[str]
) -> List[cst.SimpleStatementLine]:
    """The import line without its unused legacy names (nothing if none is left).

    Other imports lose the names that only the rewritten code used (``base64`` of an AUTH
    channel, ``io`` of a silenced DEBUGSTREAM); an import unused before stays as it was.
    """
    small = line.body[0]
    if len(line.body) != 1 or not isinstance(small, (cst.Import, cst.ImportFrom)):
        return [line]
    if not is_legacy(small):
        used = used | {n for n in local_names(small) if n not in used_before}
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


def used_names(module: cst.Module) -> Set[str]:
    names = UsedNames()
    module.visit(names)
    return names.used


def guards_legacy_imports(stmt: cst.BaseStatement) -> bool:
    """``try: import smtpd ... except ...: ...``: a guard of legacy imports alone, which
    the converted module does not need (its handler would exit where smtpd is gone); or a
    fallback to them (``if not hasattr(smtpd, "PureProxy"): import smtpd``)."""
    if is_legacy_fallback(stmt):
        return True
    if not is_guarded_import(stmt):
        return False
    lines = block_body(cast(cst.Try, stmt).body)
    smalls = [small for line in lines for small in cast(cst.SimpleStatementLine, line).body]
    return all(imports_only_legacy(small) for small in smalls)


def imports_only_legacy(small: cst.BaseSmallStatement) -> bool:
    """Every name it imports is of smtpd, asyncore or asynchat."""
    if isinstance(small, cst.Import):
        return all(canonical_module(dotted_name(a.name) or "") for a in small.names)
    return is_legacy(small)


def without_legacy_guards(module: cst.Module) -> cst.Module:
    """The module without its guards of legacy imports; their comments stay in place."""
    body: List[cst.BaseStatement] = []
    carried: List[cst.EmptyLine] = []
    for stmt in module.body:
        if guards_legacy_imports(stmt):
            carried += comment_lines(stmt)
            continue
        if carried:
            stmt = stmt.with_changes(leading_lines=[*carried, *leading_lines(stmt)])
            carried = []
        body.append(stmt)
    return module.with_changes(body=body)


def finish(plan: Plan, module: cst.Module, used_before: Set[str]) -> cst.Module:
    if not plan.convert:
        return module
    wrapper = MetadataWrapper(without_legacy_guards(module), unsafe_skip_copy=True)
    module = wrapper.module
    names = UsedNames(shadowed_names(wrapper, plan.names.table))
    module.visit(names)
    body: List[cst.BaseStatement] = []
    kept_comments: List[cst.EmptyLine] = []
    comments: Dict[int, List[cst.EmptyLine]] = {}  # statement after removed imports -> theirs
    for stmt in module.body:
        pruned: List[cst.BaseStatement] = [stmt]
        if isinstance(stmt, cst.SimpleStatementLine):
            pruned = list(prune(stmt, names.used, used_before))
        if not pruned:
            kept_comments += comment_lines(stmt)
            continue
        body.extend(pruned)
        if kept_comments and len(body) > 1:
            # A comment above removed imports stays where they were: above the aiosmtpd
            # imports that replace them, or else above the statement that follows.
            comments[id(body[-1])] = kept_comments
            kept_comments = []
    wanted = sorted(plan.imports - names.present, key=lambda i: (i[1] is not None, i))
    module = module.with_changes(body=place_imports(body, wanted, comments))
    return module.visit(NestedLegacyImports(names.used))


class NestedLegacyImports(cst.CSTTransformer):
    """Legacy imports inside a block (``def start(): from smtpd import SMTPServer``) lose
    their unused names as the module's do: on 3.12 they would fail where they run. A block
    left with none gets ``pass``; their comments stay above what follows."""

    def __init__(self, used: Set[str]) -> None:
        self.used = used

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        body: List[cst.BaseStatement] = []
        carried: List[cst.EmptyLine] = []
        for stmt in updated_node.body:
            pruned: List[cst.BaseStatement] = [stmt]
            if isinstance(stmt, cst.SimpleStatementLine) and is_legacy(stmt.body[0]):
                pruned = list(prune(stmt, self.used, self.used))
            if not pruned:
                carried += comment_lines(stmt)
                continue
            if carried:
                pruned[0] = with_leading_lines(pruned[0], [*carried, *leading_lines(pruned[0])])
                carried = []
            body.extend(pruned)
        if len(body) == len(updated_node.body):
            return updated_node
        if not body:
            body = [cst.SimpleStatementLine([cst.Pass()], leading_lines=carried)]
            carried = []
        return updated_node.with_changes(body=body, footer=[*carried, *updated_node.footer])


def comment_lines(stmt: cst.BaseStatement) -> List[cst.EmptyLine]:
    """The leading lines of a statement from its first comment on (none without a comment)."""
    lines = list(leading_lines(stmt))
    while lines and lines[0].comment is None:
        lines.pop(0)
    return lines


def place_imports(
    body: List[cst.BaseStatement],
    wanted: List[Tuple[str, Optional[str]]],
    comments: Dict[int, List[cst.EmptyLine]],
) -> List[cst.BaseStatement]:
    """Standard library imports join the module's stdlib group in order; aiosmtpd's follow it.

    The order is isort's (ruff's ``I``): ``import x`` lines before ``from x import y``
    lines, each sorted by module name.
    """
    end = import_end(body)
    head, rest = list(body[:end]), list(body[end:])
    start = sum(1 for s in head if is_preamble(s))
    group = stdlib_group(head, start)
    if group is None:
        group = (start, start)
    low, high = group
    head, moved, stranded = without_later_stdlib(head, high)
    if stranded:
        after = [*head[high:], *rest]  # they stay above what follows the group
        if after:
            comments[id(after[0])] = [*stranded, *comments.get(id(after[0]), [])]
    new_lines = [import_line(m, n) for m, n in wanted if is_stdlib(m)]
    for new in [*moved, *new_lines]:
        index = next((i for i in range(low, high) if sort_key(new) < sort_key(head[i])), high)
        if index == low and low < high:
            new = with_leading_lines(new, leading_lines(head[low]))
            head[low] = with_leading_lines(head[low], [])
        elif index == low and low > 0:
            new = with_leading_lines(new, [EMPTY])
        head.insert(index, new)
        high += 1
    others = joined([(m, n) for m, n in wanted if not is_stdlib(m)])
    third: List[cst.BaseStatement] = [import_line(m, n) for m, n in others]
    orphans = [line for lines in comments.values() for line in lines]
    if third:
        if high > 0 or orphans:
            third[0] = with_leading_lines(third[0], [EMPTY, *orphans])
        following = head[high:] + rest
        if following and not leading_lines(following[0]):
            if high < len(head):
                head[high] = with_leading_lines(head[high], [EMPTY])
            else:
                rest[0] = with_leading_lines(rest[0], [EMPTY])
        head[high:high] = third
    else:
        head, rest = with_comments(head, comments), with_comments(rest, comments)
    future = start > 0 and imported_module(head[start - 1]) == "__future__"
    if future and start < len(head) and not leading_lines(head[start]):
        # isort parts the __future__ imports from the rest (the blank line above the first
        # import went with it, when that was a legacy one)
        head[start] = with_leading_lines(head[start], [EMPTY])
    return [*head, *rest]


def without_later_stdlib(
    head: List[cst.BaseStatement], high: int
) -> Tuple[List[cst.BaseStatement], List[cst.BaseStatement], List[cst.EmptyLine]]:
    """The module's head without the stdlib imports of groups after the stdlib group (from
    ``high`` up to a kept ``try`` guard); those imports, with the comments right above
    them; and the comments above their group (a removed guard's), which stay in place.
    A guard that went (``if not hasattr(smtpd, ...): import smtpd``) parted them from the
    stdlib group: isort now sees one block, with one stdlib group."""
    kept = list(head[:high])
    moved: List[cst.BaseStatement] = []
    stranded: List[cst.EmptyLine] = []
    for index, stmt in enumerate(head[high:], start=high):
        if not isinstance(stmt, cst.SimpleStatementLine):
            return [*kept, *head[index:]], moved, stranded
        module = imported_module(stmt)
        if not is_stdlib(module) or module == "__future__":
            kept.append(stmt)
            continue
        lines = list(leading_lines(stmt))
        split = max((i + 1 for i, line in enumerate(lines) if line.comment is None), default=0)
        stranded += [line for line in lines[:split] if line.comment is not None]
        moved.append(with_leading_lines(stmt, lines[split:]))
    return kept, moved, stranded


def with_comments(
    body: List[cst.BaseStatement], comments: Dict[int, List[cst.EmptyLine]]
) -> List[cst.BaseStatement]:
    """Statements with the comments of the removed imports above them put back."""
    return [
        with_leading_lines(s, [*comments[id(s)], *leading_lines(s)]) if id(s) in comments else s
        for s in body
    ]


def is_preamble(stmt: cst.BaseStatement) -> bool:
    """The docstring or a ``from __future__`` import: the stdlib group comes after them."""
    small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
    if isinstance(small, cst.ImportFrom):
        return dotted_name(small.module) == "__future__" if small.module else False
    return isinstance(small, cst.Expr)


def stdlib_group(head: List[cst.BaseStatement], start: int) -> Optional[Tuple[int, int]]:
    """(first, end) of the first group of imports (split by blank lines) from the stdlib."""
    index = start
    while index < len(head):
        end = index + 1
        while end < len(head) and not starts_group(head[end]):
            end += 1
        if all(is_stdlib(imported_module(s)) for s in head[index:end]):
            return index, end
        index = end
    return None


def starts_group(stmt: cst.BaseStatement) -> bool:
    return any(line.comment is None for line in leading_lines(stmt))


def imported_module(stmt: cst.BaseStatement) -> str:
    small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
    if isinstance(small, cst.Import):
        return dotted_name(small.names[0].name) or ""
    if isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative:
        return dotted_name(small.module) or ""
    return ""


def sort_key(stmt: cst.BaseStatement) -> Tuple[bool, str]:
    small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
    return isinstance(small, cst.ImportFrom), imported_module(stmt).lower()


def is_stdlib(module: str) -> bool:
    top = module.split(".")[0]
    names = stdlib_module_names()
    # smtpd, asyncore and asynchat left the stdlib in 3.12; the programs still group them so.
    return bool(top) and (top in names or top in LEGACY_MODULES)


def joined(wanted: List[Tuple[str, Optional[str]]]) -> List[Tuple[str, Optional[str]]]:
    """Names from one module in one ``from`` import (``SMTP, AuthResult, syntax``), as
    isort writes them: constants, then classes, then the rest."""
    result: List[Tuple[str, Optional[str]]] = []
    for module, name in wanted:
        last = result[-1] if result else None
        if name and last and last[0] == module and last[1]:
            names = sorted([*last[1].split(", "), name], key=isort_name_key)
            result[-1] = (module, ", ".join(names))
        else:
            result.append((module, name))
    return result


def isort_name_key(name: str) -> Tuple[int, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then functions and variables."""
    if name.isupper() and len(name) > 1:
        return 0, name
    return (1 if name[:1].isupper() else 2), name.lower()


def import_line(module: str, name: Optional[str]) -> cst.SimpleStatementLine:
    line = statement(f"from {module} import {name}\n" if name else f"import {module}\n")
    assert isinstance(line, cst.SimpleStatementLine)
    return line

"""Small builders for the code the rules emit."""

from __future__ import annotations

from typing import List, Optional, Sequence, Set, Tuple, cast

import libcst as cst
import libcst.matchers as m

from smtpd_compat.codemod._names import canonical_module, dotted_name

EMPTY = cst.EmptyLine(indent=False)


def block_body(suite: cst.BaseSuite) -> List[cst.BaseStatement]:
    """The statements of an indented block (none for ``def f(): pass`` on one line)."""
    return list(suite.body) if isinstance(suite, cst.IndentedBlock) else []


def leading_lines(node: cst.CSTNode) -> Sequence[cst.EmptyLine]:
    """The comments and blank lines above a statement (libcst types them per class)."""
    if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        return node.leading_lines
    return ()


def with_leading_lines(
    node: cst.BaseStatement, lines: Sequence[cst.EmptyLine]
) -> cst.BaseStatement:
    """The statement with other comments and blank lines above it."""
    if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        return node.with_changes(leading_lines=lines)
    return node


def statements(code: str) -> List[cst.BaseStatement]:
    """Parse module-level statements from source text, keeping the comments on top."""
    module = cst.parse_module(code)
    body: List[cst.BaseStatement] = list(module.body)
    if body and module.header:
        body[0] = with_leading_lines(body[0], [*module.header, *leading_lines(body[0])])
    return body


# Start-up calls longer than this are wrapped as black would (ruff's default rule set does
# not check length; 100 is this project's limit and the emitted helpers keep to 88).
LINE_LENGTH = 100


def assign_call(target: str, function: str, args: Sequence[str], indent: int = 0) -> str:
    """``target = function(args)`` on one line if it fits, else wrapped as black would.

    ``indent`` is where the statement will stand; the text stays relative to it, since
    libcst indents the continuation lines with their block.
    """
    one_line = f"{target} = {function}({', '.join(args)})"
    if indent + len(one_line) <= LINE_LENGTH:
        return one_line + "\n"
    joined = ", ".join(args)
    if indent + 4 + len(joined) <= LINE_LENGTH:
        return f"{target} = {function}(\n    {joined}\n)\n"
    lines = "".join(f"    {arg},\n" for arg in args)
    return f"{target} = {function}(\n{lines})\n"


def statement(code: str) -> cst.BaseStatement:
    return cst.parse_statement(code)


def expression(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


def code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def with_blank_lines(node: cst.BaseStatement, count: int) -> cst.BaseStatement:
    return with_leading_lines(node, [EMPTY] * count)


def keep_leading_lines(
    original: cst.BaseStatement, new: Sequence[cst.BaseStatement]
) -> List[cst.BaseStatement]:
    """Carry the comments and blank lines above ``original`` over to the first new statement,
    and its own end-of-line comment to the first new line without one (or above them all)."""
    if not new:
        return []
    made, above = with_trailing_comment(original, list(new))
    first = with_leading_lines(made[0], [*leading_lines(original), *above, *leading_lines(made[0])])
    return [first, *made[1:]]


# A comment moved to the end of a generated line keeps that line within ruff's length.
COMMENTED_LINE = 88


def trailing_comment(node: cst.BaseStatement) -> Optional[str]:
    if not isinstance(node, cst.SimpleStatementLine):
        return None
    comment = node.trailing_whitespace.comment
    return comment.value if comment is not None else None


def with_trailing_comment(
    original: cst.BaseStatement, new: List[cst.BaseStatement]
) -> Tuple[List[cst.BaseStatement], List[cst.EmptyLine]]:
    """``new`` with the end-of-line comment of ``original`` kept (a program's ``noqa`` or
    why is not the codemod's to drop): at the end of the first new line without one that
    stays short, else as a line of its own above them (the second value)."""
    if not isinstance(original, cst.SimpleStatementLine):
        return new, []
    comment = original.trailing_whitespace.comment
    if comment is None or any(trailing_comment(s) == comment.value for s in new):
        return new, []  # a rule carried it over itself
    for index, line in enumerate(new):
        if not isinstance(line, cst.SimpleStatementLine) or line.trailing_whitespace.comment:
            continue
        if len(code_of(line).rstrip()) + 2 + len(comment.value) <= COMMENTED_LINE:
            kept = line.with_changes(trailing_whitespace=original.trailing_whitespace)
            return [*new[:index], kept, *new[index + 1 :]], []
    return new, [cst.EmptyLine(comment=comment)]


def is_guarded_import(stmt: cst.BaseStatement) -> bool:
    """``try: import x`` ``except ImportError: ...``: part of a module's imports."""
    if not isinstance(stmt, cst.Try) or stmt.orelse is not None or stmt.finalbody is not None:
        return False
    body = block_body(stmt.body)
    return bool(body) and all(
        isinstance(line, cst.SimpleStatementLine)
        and all(isinstance(small, (cst.Import, cst.ImportFrom)) for small in line.body)
        for line in body
    )


def is_legacy_fallback(stmt: cst.BaseStatement) -> bool:
    """``if not hasattr(smtpd, "PureProxy"): import smtpd`` after ``import __main__ as
    smtpd`` (a module that smtpd's own main may have loaded): part of a module's imports,
    and one that converted code, needing no smtpd, drops."""
    checks_name = m.Call(func=m.Name("hasattr"), args=[m.Arg(m.Name()), m.Arg(m.SimpleString())])
    test = m.UnaryOperation(operator=m.Not(), expression=checks_name)
    if not isinstance(stmt, cst.If) or stmt.orelse is not None or not m.matches(stmt.test, test):
        return False
    lines = block_body(stmt.body)
    smalls = [s for line in lines if isinstance(line, cst.SimpleStatementLine) for s in line.body]
    if len(smalls) != len(lines) or not all(isinstance(s, cst.Import) for s in smalls):
        return False
    aliases = [a for s in smalls for a in cast(cst.Import, s).names]
    if not all(a.asname is None and canonical_module(dotted_name(a.name) or "") for a in aliases):
        return False
    call = cast(cst.Call, cast(cst.UnaryOperation, stmt.test).expression)
    checked = cast(cst.Name, call.args[0].value).value
    return checked in {(dotted_name(a.name) or "").split(".")[0] for a in aliases}


def import_end(body: Sequence[cst.BaseStatement]) -> int:
    """Index after the leading docstring and imports of a module body."""
    end = 0
    for index, stmt in enumerate(body):
        if is_guarded_import(stmt) or is_legacy_fallback(stmt):
            end = index + 1
            continue
        if not isinstance(stmt, cst.SimpleStatementLine):
            break
        small = stmt.body[0]
        is_docstring = (
            index == 0
            and isinstance(small, cst.Expr)
            and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString))
        )
        if not (is_docstring or isinstance(small, (cst.Import, cst.ImportFrom))):
            break
        end = index + 1
    return end


def insert_helpers(module: cst.Module, code: str) -> cst.Module:
    """Insert module-level helper definitions after the imports, two blank lines around
    (one after the imports before a plain statement, as isort places it)."""
    body: List[cst.BaseStatement] = list(module.body)
    end = import_end(body)
    new = statements(code)
    if end:
        blank = [EMPTY] if isinstance(new[0], cst.SimpleStatementLine) else [EMPTY, EMPTY]
        new[0] = with_leading_lines(new[0], [*blank, *comments(new[0])])
    if end < len(body):
        body[end] = with_leading_lines(body[end], [EMPTY, EMPTY, *comments(body[end])])
    return module.with_changes(body=[*body[:end], *new, *body[end:]])


def comments(node: cst.BaseStatement) -> List[cst.EmptyLine]:
    """The leading lines of a statement without the blank lines before its first comment."""
    lines = list(leading_lines(node))
    while lines and lines[0].comment is None:
        lines.pop(0)
    return lines


def is_docstring(stmt: cst.BaseStatement) -> bool:
    """A string statement: a docstring, which no rewrite counts as code."""
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def statements_of(function: cst.FunctionDef) -> List[cst.BaseStatement]:
    """A function's statements, its docstring left out."""
    return [s for s in block_body(function.body) if not is_docstring(s)]


def target_names(target: cst.CSTNode) -> Set[str]:
    """The names a binding target binds: ``x``, ``a, (b, *c)``; not ``self.x`` or ``d[k]``."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {n for e in target.elements for n in target_names(e.value)}
    return set()


class Bindings(cst.CSTVisitor):
    """Where code binds names, and which: assignment, ``for`` and walrus targets, ``as``
    names (``with``, ``except``, ``import``), plain imports, defs and classes (whose own
    bodies are read only when ``nested``)."""

    def __init__(self, nested: bool) -> None:
        super().__init__()
        self.nested = nested
        self.found: List[Tuple[cst.CSTNode, str]] = []

    def add(self, node: cst.CSTNode, names: Set[str]) -> None:
        self.found += [(node, n) for n in sorted(names)]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.add(node, {node.name.value})
        return self.nested

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.add(node, {node.name.value})
        return self.nested

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return self.nested

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.add(node, target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.add(node, target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.add(node, target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self.add(node, target_names(node.target))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.add(node, target_names(node.target))

    def visit_AsName(self, node: cst.AsName) -> None:
        self.add(node, target_names(node.name))

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is None:  # ``import a.b`` binds ``a``
            self.add(node, {(dotted_name(node.name) or "").split(".")[0]})

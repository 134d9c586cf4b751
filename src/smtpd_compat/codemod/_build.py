"""Small builders for the code the rules emit."""

from __future__ import annotations

from typing import List, Sequence

import libcst as cst

EMPTY = cst.EmptyLine(indent=False)


def statements(code: str) -> List[cst.BaseStatement]:
    """Parse module-level statements from source text, keeping the comments on top."""
    module = cst.parse_module(code)
    body = list(module.body)
    if body and module.header:
        body[0] = body[0].with_changes(leading_lines=[*module.header, *body[0].leading_lines])
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
    return node.with_changes(leading_lines=[EMPTY] * count)


def keep_leading_lines(
    original: cst.BaseStatement, new: Sequence[cst.BaseStatement]
) -> List[cst.BaseStatement]:
    """Carry the comments and blank lines above ``original`` over to the first new statement."""
    if not new:
        return []
    first = new[0].with_changes(leading_lines=original.leading_lines)
    return [first, *new[1:]]


def import_end(body: Sequence[cst.BaseStatement]) -> int:
    """Index after the leading docstring and imports of a module body."""
    end = 0
    for index, stmt in enumerate(body):
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
    """Insert module-level helper definitions after the imports, two blank lines around."""
    body = list(module.body)
    end = import_end(body)
    new = statements(code)
    if end:
        new[0] = new[0].with_changes(leading_lines=[EMPTY, EMPTY, *comments(new[0])])
    if end < len(body):
        body[end] = body[end].with_changes(leading_lines=[EMPTY, EMPTY, *comments(body[end])])
    return module.with_changes(body=[*body[:end], *new, *body[end:]])


def comments(node: cst.BaseStatement) -> List[cst.EmptyLine]:
    """The leading lines of a statement without the blank lines before its first comment."""
    lines = list(node.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return lines

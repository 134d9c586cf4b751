"""The codemod's shape: no import cycles between its modules, imports at the top."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

PACKAGE = Path(__file__).parents[2] / "src" / "smtpd_compat" / "codemod"
PREFIX = "smtpd_compat.codemod"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join([PREFIX, *parts]).replace(".__init__", "")


def dependencies() -> Dict[str, Set[str]]:
    """Module -> the codemod modules it imports (``from pkg import mod`` counts as mod)."""
    paths = sorted(PACKAGE.rglob("*.py"))
    names = {module_name(p) for p in paths}
    graph: Dict[str, Set[str]] = {}
    for path in paths:
        found: Set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PREFIX):
                module = node.module or ""
                found |= {module} | {f"{module}.{a.name}" for a in node.names}
        graph[module_name(path)] = (found & names) - {module_name(path)}
    return graph


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    found: List[List[str]] = []

    def walk(start: str, node: str, path: List[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == start:
                found.append(path)
            elif nxt not in path:
                walk(start, nxt, [*path, nxt])

    for module in sorted(graph):
        walk(module, module, [module])
    return found


def test_no_import_cycles():
    assert cycles(dependencies()) == []


def test_imports_of_codemod_modules_are_at_the_top():
    """Function-level imports hid the cycles; only the entry point defers libcst's import."""
    late = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        late.append(path.relative_to(PACKAGE).as_posix())
    assert set(late) == {"__init__.py"}  # libcst and the CLI, once Python >= 3.9 is checked

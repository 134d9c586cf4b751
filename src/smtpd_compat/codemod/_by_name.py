"""Legacy modules a program names in a string: run or imported by name, never by an import.

``runpy.run_module("smtpd", run_name="__main__")`` (smtpd's own command line, as a task
runner does it), ``importlib.import_module("smtpd")``, ``[sys.executable, "-m", "smtpd",
"-n", "-c", "DebuggingServer", ...]`` or ``"python -m smtpd -n ..."`` for a subprocess: no
import statement names the module, so nothing else in the codemod sees it, and on Python
3.12+ the program fails there. Each is reported at its line (the rewrite is a decision:
``python -m smtpd_compat`` keeps the command line with the shim; aiosmtpd's ``python -m
aiosmtpd`` prints messages differently).
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

import libcst as cst

from smtpd_compat.codemod._names import dotted_name

LEGACY_MODULES = ("smtpd", "asyncore", "asynchat")
# Callables whose first argument is a module's name.
BY_NAME_CALLS = ("run_module", "import_module", "__import__", "find_spec")
COMMAND_LINE = re.compile(r"-m\s+(%s)\b" % "|".join(LEGACY_MODULES))


def module_named_by(node: cst.CSTNode) -> Optional[str]:
    """What ``node`` runs or imports of the legacy modules by name, as a report's message."""
    if isinstance(node, cst.Call):
        return _named_by_call(node)
    if isinstance(node, (cst.List, cst.Tuple)):
        return _named_in_arguments(node.elements)
    if isinstance(node, (cst.SimpleString, cst.FormattedStringText)):
        text = node.evaluated_value if isinstance(node, cst.SimpleString) else node.value
        found = COMMAND_LINE.search(text) if isinstance(text, str) else None
        if found is not None:
            return _message(found.group(1), f"a command line running `{found.group(0)}`")
    return None


def _named_by_call(call: cst.Call) -> Optional[str]:
    callee = dotted_name(call.func) or ""
    if callee.rsplit(".", 1)[-1] not in BY_NAME_CALLS or not call.args:
        return None
    name = _module_name(call.args[0].value)
    return _message(name, f"{callee}()") if name is not None else None


def _named_in_arguments(elements: Sequence[cst.BaseElement]) -> Optional[str]:
    """``[..., "-m", "smtpd", ...]``: an argument list for a subprocess."""
    values = [e.value for e in elements]
    for flag, value in zip(values, values[1:]):
        if isinstance(flag, cst.SimpleString) and flag.evaluated_value == "-m":
            name = _module_name(value)
            if name is not None:
                return _message(name, f'a command line running "-m {name}"')
    return None


def _module_name(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.SimpleString) and node.evaluated_value in LEGACY_MODULES:
        return str(node.evaluated_value)
    return None


def _message(module: str, how: str) -> str:
    if module == "smtpd":
        instead = (
            "run `python -m smtpd_compat` (the shim, same options) or serve with aiosmtpd "
            "(`python -m aiosmtpd -c <your handler>`, which prints differently)"
        )
    else:
        instead = f"the py{module} backport provides it again, or leave it with the shim"
    return (
        f"{module} is run or imported by name here ({how}), which no import shows: "
        f"Python 3.12 removed it; {instead}"
    )

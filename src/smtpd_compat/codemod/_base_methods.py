"""What a ``DebuggingServer`` or ``PureProxy`` subclass keeps of its base's methods.

A subclass that stamps a header and then calls ``smtpd.PureProxy.process_message(self,
...)``, or logs and then calls ``super().process_message(...)`` to print as
``DebuggingServer`` did, keeps behaviour of its base that a handler would lose. Those
methods are plain Python (printing, relaying with smtplib), so the converted handler
inherits them from a class written into the module with the same code
(``DebuggingServerMethods``, ``PureProxyMethods``: rule debugging). This module reads
which base methods a class reaches and whether anything else of the legacy base is
used (another ``super()`` call), which blocks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import LegacyNames, dotted_name

# The legacy base -> the methods of its own a subclass may call, and the class that keeps them.
BASE_METHODS: Dict[str, Tuple[str, ...]] = {
    "smtpd.DebuggingServer": ("process_message", "_print_message_content"),
    "smtpd.PureProxy": ("process_message", "_deliver"),
}
METHODS_CLASS = {
    "smtpd.DebuggingServer": "DebuggingServerMethods",
    "smtpd.PureProxy": "PureProxyMethods",
}
# Base methods other rules convert where they are called (rule init, _close).
CONVERTED_ELSEWHERE = ("__init__", "close")


@dataclass
class BaseUse:
    """How a subclass of ``base`` reaches its base's methods."""

    base: str
    # ``smtpd.PureProxy.process_message`` and the like: they name the generated class instead
    references: List[cst.Attribute] = field(default_factory=list)
    reaches: bool = False  # some base method is called (by any spelling)
    blocker: Optional[Tuple[cst.CSTNode, str]] = None

    @property
    def methods_class(self) -> str:
        return METHODS_CLASS[self.base]


def base_use(node: cst.ClassDef, base: str, names: LegacyNames) -> BaseUse:
    """What ``node`` (a subclass of ``base``) uses of its base's methods."""
    use = BaseUse(base)
    own = {s.name.value for s in block_body(node.body) if isinstance(s, cst.FunctionDef)}
    if "process_message" not in own:
        use.blocker = (node, "keeps its base's process_message (printing or relaying)")
        return use
    allowed = (*BASE_METHODS[base], *CONVERTED_ELSEWHERE)
    m = cst.matchers
    for found in m.findall(node, m.Attribute()):
        assert isinstance(found, cst.Attribute)
        method = found.attr.value
        owner = found.value
        if isinstance(owner, cst.Call) and dotted_name(owner.func) == "super":
            if method not in allowed:
                use.blocker = (found, f"calls super().{method}, which a handler has not")
                return use
            use.reaches |= method in BASE_METHODS[base]
        elif names.legacy_name(owner) in BASE_METHODS:
            if names.legacy_name(owner) != base or method not in allowed:
                what = f"{names.legacy_name(owner)}.{method}"
                use.blocker = (found, f"uses {what}, which a handler has not")
                return use
            if method in BASE_METHODS[base]:
                use.references.append(found)
                use.reaches = True
        elif dotted_name(owner) == "self" and method in BASE_METHODS[base] and method not in own:
            use.reaches = True
    return use

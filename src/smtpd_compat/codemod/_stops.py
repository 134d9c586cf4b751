"""``self.close()`` in a server class's own methods: the handler stops its controller.

A test utility's ``shutdown()`` calls ``self.close()`` and joins its loop thread; a
sink closes itself after its last message so that the loop returns. The handler has
no close(), so where the class does not define one and every ``self.close`` is a
plain call without arguments, the start-up hands the handler its controller
(``handler.controller``) and each call becomes ``self.controller.stop()``: the
loop that served the server returns then, as smtpd's did once its map emptied.
"""

from __future__ import annotations

from typing import List, Optional, Set

import libcst as cst
import libcst.matchers


def self_close_calls(node: cst.ClassDef, defined: bool) -> Optional[List[cst.Call]]:
    """The ``self.close()`` calls of a class, or None when some read is not one."""
    if defined:
        return None  # its own close(): rule handler's _close reads that shape
    m = cst.matchers
    reads = m.findall(node, m.Attribute(value=m.Name("self"), attr=m.Name("close")))
    calls = m.findall(node, m.Call(func=m.Attribute(value=m.Name("self"), attr=m.Name("close"))))
    plain = [c for c in calls if isinstance(c, cst.Call) and not c.args]
    return plain if len(plain) == len(reads) else None


def closed_while_serving(node: cst.ClassDef, calls: List[cst.Call]) -> Optional[cst.Call]:
    """A ``self.close()`` that process_message reaches (itself, or a method it calls).

    smtpd still answered that message and served the open sessions until they ended; a
    controller stopped there cancels them, the 250 with them.
    """
    methods = {
        s.name.value: s
        for s in node.body.body
        if isinstance(node.body, cst.IndentedBlock) and isinstance(s, cst.FunctionDef)
    }
    m = cst.matchers
    reached: Set[str] = set()
    todo = ["process_message"]
    while todo:
        name = todo.pop()
        if name in reached or name not in methods:
            continue
        reached.add(name)
        named = m.findall(methods[name], m.Attribute(value=m.Name("self")))
        todo += [a.attr.value for a in named if isinstance(a, cst.Attribute)]
    inside = [methods[n] for n in reached]
    for call in calls:
        if any(contains(method, call) for method in inside):
            return call
    return None


def contains(tree: cst.CSTNode, node: cst.CSTNode) -> bool:
    found = cst.matchers.findall(tree, cst.matchers.Call())
    return any(n is node for n in found)

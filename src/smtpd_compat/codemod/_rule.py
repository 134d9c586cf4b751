"""A rewrite rule: a name, its guide section, and callbacks by node type.

As in django-upgrade's fixers, a rule registers one function per CST node type.
All enabled rules run in one pass over the module, so every callback sees the
original node (the identity the plan recorded) next to the updated one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Type, TypeVar, Union

import libcst as cst

from smtpd_compat.codemod._plan import Plan
from smtpd_compat.codemod._planner import Planner

Result = Union[cst.CSTNode, "cst.FlattenSentinel[cst.CSTNode]", cst.RemovalSentinel]
Callback = Callable[[Plan, cst.CSTNode, cst.CSTNode], Result]
F = TypeVar("F", bound=Callable[..., Result])
Analysis = Callable[[Planner, cst.Module], None]
Needed = Callable[[Plan], bool]


@dataclass
class Rule:
    name: str
    summary: str
    section: str
    callbacks: Dict[Type[cst.CSTNode], List[Callback]] = field(default_factory=dict)
    analyses: List[Analysis] = field(default_factory=list)
    conditions: List[Needed] = field(default_factory=list)

    def analysis(self, function: Analysis) -> Analysis:
        """Register ``function(planner, module)``: the rule's own reading of the module."""
        self.analyses.append(function)
        return function

    def needed_when(self, function: Needed) -> Needed:
        """Register ``function(plan)``: True when the plan cannot convert without this rule."""
        self.conditions.append(function)
        return function

    def analyse(self, planner: Planner, module: cst.Module) -> None:
        for analysis in self.analyses:
            analysis(planner, module)

    def needed(self, plan: Plan) -> bool:
        return any(condition(plan) for condition in self.conditions)

    def on(self, node_type: Type[cst.CSTNode]) -> Callable[[F], F]:
        """Register ``function(plan, original_node, updated_node)`` for ``node_type``."""

        def register(function: F) -> F:
            self.callbacks.setdefault(node_type, []).append(function)
            return function

        return register


class RuleRunner(cst.CSTTransformer):
    """Applies the callbacks of the enabled rules in one pass."""

    def __init__(self, plan: Plan, rules: List[Rule]) -> None:
        super().__init__()
        self.plan = plan
        self.rules = rules

    # libcst types on_leave as returning the node's own type; a rule may put another
    # kind of node in its place (a statement for a statement), hence the wider Result.
    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> Result:
        result: Result = updated_node
        for rule in self.rules:
            for callback in rule.callbacks.get(type(original_node), ()):
                if not isinstance(result, cst.CSTNode):
                    return result
                result = callback(self.plan, original_node, result)
        return result

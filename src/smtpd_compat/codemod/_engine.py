"""Rewrite one module's source: plan, run the enabled rules, collect the reports."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import List, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from smtpd_compat.codemod._build import is_legacy_fallback
from smtpd_compat.codemod._by_name import module_named_by
from smtpd_compat.codemod._joined import at_original_lines, split_joined
from smtpd_compat.codemod._names import LEGACY_MODULES, LegacyNames
from smtpd_compat.codemod._plan import SECTION_MANUAL, Plan
from smtpd_compat.codemod._planner import LEFT, make_plan
from smtpd_compat.codemod._report import Report
from smtpd_compat.codemod._rule import Rule, RuleRunner
from smtpd_compat.codemod._shadowing import shadowed_names
from smtpd_compat.codemod._versions import dead_branches
from smtpd_compat.codemod.rules import RULES, channel, debugstream, imports

MENTIONS = LEGACY_MODULES


@dataclass
class Outcome:
    """The rewritten source and what was left for manual work."""

    source: str
    reports: List[Report] = field(default_factory=list)


def mentions_legacy(source: str) -> bool:
    """Cheap pre-filter: files that never mention a legacy module are not parsed."""
    return any(word in source for word in MENTIONS)


class TooDeeplyNested(ValueError):
    """Python itself refuses the file: libcst's native parser could crash the process on it."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def refuse_what_python_refuses(source: str) -> None:
    """Python's own parser first: it fails cleanly where libcst's can exhaust the C stack."""
    try:
        ast.parse(source)
    except (RecursionError, MemoryError) as error:
        reason = f"too deeply nested for Python's parser ({type(error).__name__})"
        raise TooDeeplyNested(1, reason) from None
    except SyntaxError as error:
        if "too many" in str(error.msg) or "too complex" in str(error.msg):
            raise TooDeeplyNested(error.lineno or 1, error.msg) from None
        # Other syntax errors: libcst knows newer and older grammars and reports them.


def fix_source(source: str, rules: Sequence[Rule] = RULES) -> Outcome:
    """Rewrite ``source``; raises ``libcst.ParserSyntaxError`` on a syntax error."""
    if not mentions_legacy(source):
        return Outcome(source)
    refuse_what_python_refuses(source)
    module, origin = split_joined(cst.parse_module(source))
    try:
        outcome = rewrite(MetadataWrapper(module), rules)
    except cst.ParserSyntaxError as error:  # code a rule emitted, not the user's
        raise GeneratedCodeError(f"a rule emitted code that does not parse: {error}") from error
    if module.code == source:
        return outcome
    reports = at_original_lines(outcome.reports, origin)
    return Outcome(source if outcome.source == module.code else outcome.source, reports)


class GeneratedCodeError(RuntimeError):
    """A bug of the codemod: reported as an internal error, never as the file's syntax error."""


def rewrite(wrapper: MetadataWrapper, rules: Sequence[Rule]) -> Outcome:
    names = LegacyNames()
    wrapper.module.visit(names)
    names.shadowed = shadowed_names(wrapper, names.table)
    enabled = {rule.name for rule in rules}
    discarded_prints: Set[str] = set()
    if debugstream.RULE in rules:
        names.discarded, discarded_prints = debugstream.discarded_prints(wrapper.module, names)
    plan = make_plan(wrapper, names, RULES, enabled)
    module = wrapper.module
    if plan.convert:
        module = module.visit(RuleRunner(plan, [r for r in rules if r is not imports.RULE]))
        module = debugstream.without_discarded_prints(module, discarded_prints)
        clashes = imports.clash_reports(wrapper, plan)
        if clashes:  # the converted code would read the program's object: nothing converts
            module, plan.convert = wrapper.module, False
            plan.reports = [r for r in plan.reports if not r.note] + clashes
    if not plan.convert:  # the prints stay, and their DEBUGSTREAM is a use like any other
        names.discarded = set()
    if imports.RULE in rules:
        module = imports.finish(plan, module, imports.used_names(wrapper.module))
    reports = list(plan.reports) + leftovers(wrapper, plan, channel.RULE in rules)
    said = {r.line for r in plan.further}  # a reason at a line says more than "left as is"
    reports = [r for r in reports if not (r.line in said and LEFT in r.message)] + plan.further
    return Outcome(module.code, sorted(set(reports)))


def leftovers(wrapper: MetadataWrapper, plan: Plan, report_channels: bool) -> List[Report]:
    """Reports for every legacy use that no rule rewrote and no report explains yet."""
    finder = LeftoverFinder(plan)
    wrapper.visit(finder)
    reports: List[Report] = []
    if report_channels:
        reports += channel.channel_reports(plan, finder.channel_lines)
    # A note explains no legacy use: a use beside one (in the same class) is still reported.
    explained = {r.line for r in plan.reports + reports if not r.note}
    why = "" if plan.convert or not plan.reports else ": left as is because of the other reports"
    for line, name in finder.found:
        if line not in explained and not finder.inside_explained(line, explained):
            explained.add(line)
            reports.append(Report(line, f"{name} is still used here{why}", SECTION_MANUAL))
    reports += [Report(line, message, SECTION_MANUAL) for line, message in finder.by_name]
    return reports


class LeftoverFinder(cst.CSTVisitor):
    """Legacy names still in use outside the constructs the plan converts."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan
        self.converted: Set[int] = set()
        if plan.convert:
            nodes: List[cst.CSTNode] = [b for s in plan.servers for b in s.node.bases]
            nodes += [c.bases[0] for c in plan.debugging_classes.values()]
            nodes += [b for c in plan.unused_server_bases for b in c.bases]  # (rule thread)
            nodes += [s.base_init for s in plan.servers if s.base_init is not None]
            nodes += [s.base_close for s in plan.servers if s.base_close is not None]
            nodes += [s.base_listen for s in plan.servers if s.base_listen is not None]
            nodes += [i.statement for i in plan.instances] + list(plan.loops)
            nodes += list(plan.threads) + list(plan.close_alls) + list(plan.closes)
            nodes += plan.converted_channels
            nodes += list(plan.silenced_debugstream) + list(plan.dropped)
            nodes += list(plan.debugstream_redirects) + list(plan.debug_switches)
            nodes += list(plan.constants) + list(plan.map_reads)
            nodes += [plan.banner] if plan.banner is not None else []
            nodes += [n for s in plan.thread_servers if s.thread for n in s.thread.rewritten]
            nodes += [p.loop for p in plan.polls]
            nodes += [d for s in plan.servers for i in s.version_ifs for d in dead_branches(i)]
            nodes += [r for use in plan.base_uses.values() for r in use.references]
            self.converted = {id(n) for n in nodes}
        self.found: List[Tuple[int, str]] = []
        self.by_name: List[Tuple[int, str]] = []  # _by_name: run or imported by name
        self.labels: Set[int] = set()  # Names that are attribute or keyword names
        self.spans: List[range] = []
        self.channel_lines: List[int] = []

    def span(self, node: cst.CSTNode) -> range:
        position = self.get_metadata(PositionProvider, node)
        return range(position.start.line, position.end.line + 1)

    def rewritten_within(self, node: cst.BaseExpression) -> bool:
        """Part of the dotted name ``node`` is one the rules rewrite."""
        while isinstance(node, cst.Attribute):
            node = node.value
            if id(node) in self.converted:
                return True
        return False

    def inside_explained(self, line: int, explained: Set[int]) -> bool:
        return any(line in span and explained & set(span) for span in self.spans)

    def visit_Module(self, node: cst.Module) -> None:
        self.spans = [self.span(s) for s in node.body]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if any(node is c for c in self.plan.channels):
            self.channel_lines.append(self.span(node).start)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if id(node) in self.converted or isinstance(node, (cst.Import, cst.ImportFrom)):
            return False
        if self.plan.convert and isinstance(node, cst.If) and is_legacy_fallback(node):
            return False  # it goes with the imports (rule imports)
        if isinstance(node, cst.Expr) and isinstance(node.value, cst.BaseString):
            return False  # a docstring that tells how to run it
        named = module_named_by(node)
        if named is not None:
            self.by_name.append((self.span(node).start, named))
            return False
        if isinstance(node, (cst.Attribute, cst.Name)) and id(node) not in self.labels:
            if self.rewritten_within(node):
                return True  # ``smtpd.COMMASPACE.join``: its ``smtpd.COMMASPACE`` is rewritten
            name = self.plan.names.legacy_name(node)
            if name is not None:
                self.found.append((self.span(node).start, name))
                return False
        if isinstance(node, cst.Attribute):
            self.labels.add(id(node.attr))  # ``fixture.smtpd``: an attribute, not the module
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            self.labels.add(id(node.keyword))
        return super().on_visit(node)

"""Rule ``debugstream``: ``smtpd.DEBUGSTREAM`` and smtpd's other debug switches.

Guide section: "Rule debugstream: smtpd.DEBUGSTREAM and debug switches".

smtpd wrote its diagnostics to the module global ``DEBUGSTREAM``, a sink that
discards them unless a program replaced it. Converted code has no smtpd to
write there. So a module-level ``smtpd.DEBUGSTREAM = io.StringIO()`` or
``= open(os.devnull, "w")``, in a module that never reads ``DEBUGSTREAM``
again, throws away output nobody can read before or after: it goes. Any other
assignment (``sys.stderr``, a log file) in a module that never reads it back
wanted the diagnostics of the sessions: aiosmtpd's own (its ``mail.log`` logger,
at INFO, which leaves credentials out) go to that stream instead, with a note,
since their lines differ. ``smtpd.SMTPServer.debug = True`` set a switch that
only asyncore's ``dispatcher_with_send`` read, which smtpd never used: it goes.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import ParentNodeProvider

from smtpd_compat.codemod._build import (
    code_of,
    insert_helpers,
    leading_lines,
    statement,
    with_leading_lines,
)
from smtpd_compat.codemod._names import LegacyNames, dotted_name, head_name
from smtpd_compat.codemod._plan import SECTION_DEBUGSTREAM, Plan
from smtpd_compat.codemod._planner import Planner
from smtpd_compat.codemod._rule import Result, Rule

RULE = Rule("debugstream", "smtpd.DEBUGSTREAM becomes aiosmtpd's log, or goes", SECTION_DEBUGSTREAM)
DEBUGSTREAM = "smtpd.DEBUGSTREAM"
# Values that only throw smtpd's diagnostics away: nothing else can read them.
SILENT_SINKS = ("io.StringIO()", "open(os.devnull, 'w')", 'open(os.devnull, "w")')
#: ``<class>.debug``: asyncore read it only in dispatcher_with_send.send(), which none of
#: smtpd's classes is, so setting it never changed what smtpd did.
DEBUG_SWITCHES = frozenset(
    f"{owner}.debug"
    for owner in (
        "smtpd.SMTPServer",
        "smtpd.SMTPChannel",
        "smtpd.DebuggingServer",
        "smtpd.PureProxy",
        "asyncore.dispatcher",
        "asynchat.async_chat",
    )
)
SEND_MAIL_LOG_TO = "send_mail_log_to"
SEND_MAIL_LOG_TO_CODE = '''def send_mail_log_to(stream):
    """What ``smtpd.DEBUGSTREAM = stream`` did, as near as aiosmtpd comes: smtpd wrote its
    diagnostics of each session there; aiosmtpd's log of its sessions (at INFO, which
    leaves credentials out) goes there now, in place of the stream set before."""
    log = logging.getLogger("mail.log")
    for handler in [h for h in log.handlers if getattr(h, "debugstream", False)]:
        log.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler.debugstream = True
    log.addHandler(handler)
    log.setLevel(logging.INFO)
'''
REDIRECTED = (
    "smtpd wrote its diagnostics of each session (Peer:, Data: and the like) to this "
    "stream; aiosmtpd's log of its sessions (the mail.log logger at INFO: peer, commands, "
    "sender, recipients) now goes there, in other lines: check what reads that output"
)


@RULE.analysis
def find_silencing(planner: Planner, module: cst.Module) -> None:
    """One top-level ``smtpd.DEBUGSTREAM = <a sink nobody reads>``, never read again."""
    uses = [a for a in planner.attributes if planner.legacy(a) == DEBUGSTREAM]
    for name, assign in planner.module_settings:
        statement = planner.statement_of(assign.value)
        if name != DEBUGSTREAM or statement is None or len(uses) != 1:
            continue
        if any(statement is s for s in module.body) and code_of(assign.value) in SILENT_SINKS:
            planner.plan.silenced_debugstream.append(statement)


@RULE.analysis
def find_redirects(planner: Planner, module: cst.Module) -> None:
    """``smtpd.DEBUGSTREAM = <a stream>`` lines (not silencing ones) of a module that only
    ever sets DEBUGSTREAM: their stream gets aiosmtpd's log of the sessions."""
    uses = [a for a in planner.attributes if planner.legacy(a) == DEBUGSTREAM]
    lines = [assigned_by(planner, a) for a in uses]
    if not uses or any(line is None for line in lines):
        return  # DEBUGSTREAM is read (or set otherwise): each use is reported
    for line in lines:
        assert line is not None
        if any(line is s for s in planner.plan.silenced_debugstream):
            continue
        planner.plan.debugstream_redirects.append(line)
        planner.add_note(line, REDIRECTED, SECTION_DEBUGSTREAM)


@RULE.analysis
def find_debug_switches(planner: Planner, module: cst.Module) -> None:
    """``smtpd.SMTPServer.debug = True`` and the like, never read back: no-ops that go."""
    uses = [a for a in planner.attributes if planner.legacy(a) in DEBUG_SWITCHES]
    lines = [assigned_by(planner, a) for a in uses]
    if any(line is None for line in lines):
        return  # read somewhere: each use is reported
    for line in lines:
        assert line is not None
        if is_plain(first_assign(line).value):
            planner.plan.debug_switches.append(line)


def assigned_by(planner: Planner, attribute: cst.Attribute) -> Optional[cst.SimpleStatementLine]:
    """The line ``<attribute> = <value>`` (one target, one statement) that sets it, else
    None: the attribute is read, or set along with something else."""
    target = planner.get_metadata(ParentNodeProvider, attribute)
    if not isinstance(target, cst.AssignTarget):
        return None
    line = planner.statement_of(target, (cst.Assign,))
    if line is None or len(first_assign(line).targets) != 1:
        return None
    return line


def first_assign(line: cst.SimpleStatementLine) -> cst.Assign:
    small = line.body[0]
    assert isinstance(small, cst.Assign)
    return small


@RULE.needed_when
def redirects_or_drops(plan: Plan) -> bool:
    return bool(plan.debugstream_redirects or plan.debug_switches)


@RULE.on(cst.SimpleStatementLine)
def rewrite_setting(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not isinstance(updated, cst.SimpleStatementLine):
        return updated
    if any(original is s for s in [*plan.silenced_debugstream, *plan.debug_switches]):
        return cst.RemovalSentinel.REMOVE
    if any(original is s for s in plan.debugstream_redirects):
        value = first_assign(updated).value
        call = cst.Call(cst.Name(SEND_MAIL_LOG_TO), [cst.Arg(value)])
        return updated.with_changes(body=[cst.Expr(call)])
    return updated


@RULE.on(cst.Module)
def define_send_mail_log_to(plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
    if not plan.convert or not plan.debugstream_redirects:
        return updated
    assert isinstance(updated, cst.Module)
    plan.imports.add(("logging", None))
    return insert_helpers(updated, SEND_MAIL_LOG_TO_CODE)


# -- prints to smtpd's DEBUGSTREAM: smtpd's Devnull discarded them -----------------------
# Calls a discarded print's arguments may make: they only read, so dropping them changes
# nothing the program sees.
READING_CALLS = frozenset({"repr", "str", "len", "type", "time.ctime", "time.time"})


def discarded_prints(module: cst.Module, names: LegacyNames) -> Tuple[Set[int], Set[str]]:
    """``print(..., file=DEBUGSTREAM)`` and ``DEBUGSTREAM.write(...)`` lines of a module
    that never sets DEBUGSTREAM: they wrote to smtpd's Devnull, so converted code drops
    them (copies of smtpd's own code have many). Returns the nodes that name DEBUGSTREAM
    there, which are then no legacy use, and the code of each line, which
    ``without_discarded_prints`` drops wherever the rules moved it."""
    finder = DebugPrints(names)
    module.visit(finder)
    if finder.sets_debugstream:
        return set(), set()
    return finder.heads, finder.codes


class DebugPrints(cst.CSTVisitor):
    def __init__(self, names: LegacyNames) -> None:
        super().__init__()
        self.names = names
        self.sets_debugstream = False
        self.heads: Set[int] = set()
        self.codes: Set[str] = set()

    def is_debugstream(self, node: cst.BaseExpression) -> bool:
        return self.names.legacy_name(node) == DEBUGSTREAM

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.sets_debugstream |= self.is_debugstream(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.sets_debugstream |= self.is_debugstream(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.sets_debugstream |= self.is_debugstream(node.target)

    def visit_Global(self, node: cst.Global) -> None:
        self.sets_debugstream |= any(self.is_debugstream(n.name) for n in node.names)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        small = node.body[0] if len(node.body) == 1 else None
        if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
            return
        stream = self.stream_written(small.value)
        if stream is not None:
            self.heads.add(id(head_name(stream)))
            self.codes.add(code_of(small))

    def stream_written(self, call: cst.Call) -> Optional[cst.BaseExpression]:
        """DEBUGSTREAM where ``call`` only writes plain values to it, else None."""
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "write":
            stream: Optional[cst.BaseExpression] = func.value
            values = list(call.args)
        elif isinstance(func, cst.Name) and func.value == "print":
            files = [a for a in call.args if a.keyword and a.keyword.value == "file"]
            stream = files[0].value if len(files) == 1 else None
            values = [a for a in call.args if a not in files]
        else:
            return None
        if stream is None or not self.is_debugstream(stream):
            return None
        if any(a.star or not is_plain(a.value) for a in values):
            return None
        return stream


def is_plain(node: cst.BaseExpression) -> bool:
    """An expression that only reads: names, literals, formatting and READING_CALLS."""
    if isinstance(node, (cst.Name, cst.BaseNumber, cst.SimpleString)):
        return True
    if isinstance(node, cst.Attribute):
        return is_plain(node.value)
    if isinstance(node, cst.ConcatenatedString):
        return is_plain(node.left) and is_plain(node.right)
    if isinstance(node, cst.FormattedString):
        return all(
            not isinstance(p, cst.FormattedStringExpression) or is_plain(p.expression)
            for p in node.parts
        )
    if isinstance(node, (cst.Tuple, cst.List)):
        return all(is_plain(e.value) for e in node.elements)
    if isinstance(node, cst.BinaryOperation):
        return is_plain(node.left) and is_plain(node.right)
    if isinstance(node, cst.Subscript):
        indexes = [e.slice for e in node.slice]
        plain = all(isinstance(i, cst.Index) and is_plain(i.value) for i in indexes)
        return plain and is_plain(node.value)
    if isinstance(node, cst.Call):
        arguments = all(not a.star and is_plain(a.value) for a in node.args)
        return dotted_name(node.func) in READING_CALLS and arguments
    return False


def without_discarded_prints(module: cst.Module, codes: Set[str]) -> cst.Module:
    """The module without the discarded prints, wherever the rules put them; a comment
    above one moves to the next statement, and a block left empty gets ``pass``."""
    if not codes:
        return module
    made = module.visit(DropLines(codes))
    assert isinstance(made, cst.Module)
    return made


class DropLines(cst.CSTTransformer):
    def __init__(self, codes: Set[str]) -> None:
        super().__init__()
        self.codes = codes

    def dropped(self, stmt: cst.BaseStatement) -> bool:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return False
        return code_of(stmt.body[0]) in self.codes

    def kept(self, body: Sequence[cst.BaseStatement]) -> List[cst.BaseStatement]:
        result: List[cst.BaseStatement] = []
        comments: List[cst.EmptyLine] = []
        for stmt in body:
            if self.dropped(stmt):
                comments += [line for line in leading_lines(stmt) if line.comment]
                continue
            if comments:
                stmt = with_leading_lines(stmt, [*comments, *leading_lines(stmt)])
                comments = []
            result.append(stmt)
        if comments or not result:
            result.append(with_leading_lines(statement("pass\n"), comments))
        return result

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not any(self.dropped(s) for s in updated_node.body):
            return updated_node
        return updated_node.with_changes(body=self.kept(updated_node.body))

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not any(self.dropped(s) for s in updated_node.body):
            return updated_node
        return updated_node.with_changes(body=self.kept(updated_node.body))

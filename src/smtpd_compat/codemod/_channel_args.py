"""The arguments a server's ``handle_accept`` gives its channel beyond smtpd's three.

``Channel(self, conn, addr, self.rules, limit=3)`` built each channel with values of the
server's; the channel's ``__init__`` kept them as attributes. The SMTP subclass the
channel becomes computes the same values from its handler (the converted server) in its
own ``__init__``: each extra parameter is replaced, in the values the ``__init__`` keeps,
by what the server passed (``self.event_handler.rules``), or by its literal default.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Protocol, Sequence, Set, Tuple

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import code_of
from smtpd_compat.codemod._names import LegacyNames, dotted_name
from smtpd_compat.codemod._session import SELF_CHECK, legacy_use


class ChannelPlan(Protocol):
    """What binding reads and changes of ``_channels.ChannelPlan`` (which imports this)."""

    init_extras: List[cst.Param]
    init_settings: int
    init_leading: bool
    leading_settings: Set[str]
    init_attributes: List[Tuple[str, cst.BaseStatement]]
    init_code: List[cst.BaseStatement]
    init_notes: List[Tuple[cst.CSTNode, str]]
    names: LegacyNames
    bound_by: Optional[str]

    @property
    def name(self) -> str: ...


# Defaults evaluated once when the class was defined: only immutable literals read the same
# when computed per connection.
LITERALS = (cst.SimpleString, cst.Integer, cst.Float)
CONSTANTS = ("None", "True", "False")


# Calls whose result nobody may miss: a logger nothing logs to shows nowhere.
EFFECTLESS_CALLS = frozenset({"logging.getLogger"})


class InitValue(cst.CSTTransformer):
    """A value an ``__init__`` keeps, as the SMTP subclass computes it (None: it cannot).

    It may use module names, the server (the handler now: ``self.event_handler``)
    and, after the base ``__init__``, ``self.smtp_server``; not the other arguments.
    """

    def __init__(self, params: List[str], star: List[str], names: LegacyNames, after: bool):
        super().__init__()
        self.server = params[:1]
        self.hidden = (set(params[1:] + star) | {"self"}) - set(self.server)
        self.names = names
        self.after = after
        self.problem = False
        self.pure = True  # no call: computing it has no effect
        self.labels: Set[int] = set()  # Names that are attribute or keyword names

    def code(self, value: cst.BaseExpression) -> Optional[str]:
        if legacy_use(value, self.names) is not None:
            return None
        result = value.visit(self)
        if self.problem or not isinstance(result, cst.BaseExpression):
            return None
        return code_of(result)

    def visit_Call(self, node: cst.Call) -> None:
        if dotted_name(node.func) not in EFFECTLESS_CALLS:
            self.pure = False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if dotted_name(node) == "self.smtp_server":
            self.problem |= not self.after  # smtpd set it in the base __init__
            return False
        self.labels.add(id(node.attr))  # the attribute's own name is no variable
        return True

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.labels.add(id(node.keyword))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.labels:
            self.problem |= node.value in self.hidden

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.problem = True
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.problem = True

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if original_node.value in self.server and id(original_node) not in self.labels:
            return cst.parse_expression("self.event_handler")
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if dotted_name(original_node) == "self.smtp_server":
            return cst.parse_expression("self.event_handler")
        return updated_node


def extra_params(init: cst.FunctionDef, passed: Tuple[List[str], List[str]]) -> List[cst.Param]:
    """The parameters after ``(server, conn, addr[, smtpd's settings])`` the base does not get.

    The base gets the first three to seven parameters in smtpd's order: the settings it
    does not get keep smtpd's defaults, those it gets the server must pass as its own
    (``bound_values`` checks; ``settings_passed`` says how many).
    """
    params = init.params
    plain, starred = passed
    names = [p.name.value for p in params.params[1:]]
    star = isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None
    if star or starred or not 3 <= len(plain) <= 7 or len(names) <= len(plain):
        return []
    if plain != names[: len(plain)]:
        return []
    return list(params.params[1 + len(plain) :])


# What smtpd's handle_accepted passed a channel after (server, conn, addr): the server's own.
SERVER_SETTINGS = ("self.data_size_limit", "self._map", "self.enable_SMTPUTF8", "self._decode_data")


def settings_passed(call: cst.Call, count: int) -> Optional[str]:
    """Why the ``count`` arguments after ``(self, conn, addr)`` are not the server's settings."""
    given = [None if a.keyword or a.star else dotted_name(a.value) for a in call.args[3:]]
    if given[:count] != list(SERVER_SETTINGS[:count]):
        expected = ", ".join(SERVER_SETTINGS[:count])
        return f"the server passes smtpd's settings other than its own ({expected})"
    return None


def bind_arguments(
    channel: ChannelPlan,
    server: cst.ClassDef,
    building: Optional[cst.BaseStatement],
    accept_code: Sequence[cst.BaseStatement] = (),
) -> Optional[str]:
    """Put what the server passes in place of the extra parameters; why not, if it cannot.

    A value read from names the server's accept code sets (``tag = ...; Channel(self,
    conn, addr, tag)``) exists only where that code runs, in connection_made: what the
    ``__init__`` kept of it is kept there, after that code.
    """
    if not channel.init_extras or channel.bound_by == server.name.value:
        return None
    if channel.bound_by is not None:
        return f"{channel.bound_by} and {server.name.value} build it, each with its own arguments"
    extras = ", ".join(p.name.value for p in channel.init_extras)
    if not isinstance(building, cst.FunctionDef) or calls_base_accept(building):
        return (
            f"its __init__ takes {extras}, which smtpd's channel_class call filled with its own "
            "data_size_limit, map, enable_SMTPUTF8 and decode_data"
        )
    call = builder_call(building, channel.name, channel.init_leading)
    if call is None:
        return f"{server.name.value} does not build {channel.name} in one call"
    set_by_accept_code = assigned_names(*accept_code) - {"self"}
    unset = assigned_names(building) - set_by_accept_code - {"self"}
    values = bound_values(channel, call, unset)
    if isinstance(values, str):
        return values
    late = {n for n, v in values.items() if reads_names(v, set_by_accept_code)}
    kept = [(n, s) for n, s in channel.init_attributes if not reads_names(s, late)]
    moved = [s for _, s in channel.init_attributes if reads_names(s, late)]
    channel.init_attributes = [(n, substituted(s, values)) for n, s in kept]
    # set in connection_made, after the accept code that computes them (before __init__'s)
    channel.init_code = [substituted(s, values) for s in [*moved, *channel.init_code]]
    channel.bound_by = server.name.value
    return None


def calls_base_accept(building: cst.FunctionDef) -> bool:
    """``super().handle_accepted(conn, addr)``: smtpd's own build, through channel_class."""
    m = cst.matchers
    return bool(m.findall(building, m.Call(func=m.Attribute(attr=m.Name("handle_accepted")))))


def builder_call(building: cst.FunctionDef, name: str, leading: bool = False) -> Optional[cst.Call]:
    """The one call building the channel (by name; ``self.channel_class`` too where the
    channel's own arguments come first, as no other channel_class call passes any)."""
    m = cst.matchers
    by_class = m.Attribute(value=m.Name("self"), attr=m.Name("channel_class"))
    built = m.Name(name) | by_class if leading else m.Name(name)
    calls = m.findall(building, m.Call(func=built))
    return calls[0] if len(calls) == 1 and isinstance(calls[0], cst.Call) else None


def assigned_names(*nodes: cst.CSTNode) -> Set[str]:
    """The names code assigns (targets, unpacked ones, loop and ``as`` names)."""
    m = cst.matchers
    found: Set[str] = set()
    for node in nodes:
        for target in m.findall(node, m.AssignTarget() | m.For() | m.AsName() | m.AugAssign()):
            stored = getattr(target, "target", None) or getattr(target, "name", None)
            if stored is not None:
                found |= {n.value for n in m.findall(stored, m.Name()) if isinstance(n, cst.Name)}
        for ann in m.findall(node, m.AnnAssign(target=m.Name())):
            assert isinstance(ann, cst.AnnAssign) and isinstance(ann.target, cst.Name)
            found.add(ann.target.value)
        if isinstance(node, cst.FunctionDef):  # its parameters, not the function's name
            found |= {p.name.value for p in node.params.params}
    return found


def reads_names(node: cst.CSTNode, names: Set[str]) -> bool:
    m = cst.matchers
    return any(isinstance(n, cst.Name) and n.value in names for n in m.findall(node, m.Name()))


def bound_values(
    channel: ChannelPlan, call: cst.Call, unset: Set[str]
) -> Dict[str, cst.BaseExpression] | str:
    """Each extra parameter's value in the SMTP subclass, or why there is none.

    ``unset``: names of the accept method that no code of it in connection_made sets.
    """
    if channel.init_leading:
        lead = len(channel.init_extras)
        why = own_settings(channel, call.args[lead + 3 :])
        if why is not None:
            return why
        given = list(call.args[:lead])
        hidden = [dotted_name(a.value) or "" for a in call.args[lead + 1 : lead + 3]]
    else:
        why = settings_passed(call, channel.init_settings)
        if why is not None:
            return why
        given = list(call.args[3 + channel.init_settings :])
        hidden = [dotted_name(a.value) or "" for a in call.args[1:3]]  # conn, addr
    positional = [a.value for a in given if a.keyword is None]
    keywords = {a.keyword.value: a.value for a in given if a.keyword is not None}
    values: Dict[str, cst.BaseExpression] = {}
    for index, param in enumerate(channel.init_extras):
        name = param.name.value
        value = positional[index] if index < len(positional) else keywords.pop(name, None)
        if value is None and isinstance(param.default, LITERALS):
            value = param.default
        elif value is None and dotted_name(param.default or cst.Name("_")) in CONSTANTS:
            value = param.default
        if value is None:
            return f"{channel.name}.__init__'s {name} gets no value it can keep"
        reads = InitValue(["self", *hidden, *sorted(unset - {"self"})], [], channel.names, True)
        code = reads.code(value)
        if code is None:
            return f"the server passes {code_of(value)} as {name}, which the handler cannot compute"
        if not reads.pure:
            note = f"the server computes {code_of(value)} for each connection, and once more for "
            channel.init_notes.append((value, note + SELF_CHECK))
        values[name] = grouped(cst.parse_expression(code))
    if len(positional) > len(channel.init_extras) or keywords:
        return f"the server passes {channel.name} arguments its __init__ does not take"
    return values


# smtpd's settings as a channel's keywords, and the server's own value of each
SETTING_NAMES = ("data_size_limit", "map", "enable_SMTPUTF8", "decode_data")
OWN_SETTINGS = dict(zip(SETTING_NAMES, SERVER_SETTINGS))


def own_settings(channel: ChannelPlan, after: Sequence[cst.Arg]) -> Optional[str]:
    """After ``(self, conn, addr)``: smtpd's settings by keyword, each the server's own (the
    converted sessions take the server's); the names passed are kept for the settings check."""
    for arg in after:
        name = arg.keyword.value if arg.keyword is not None else None
        if name not in OWN_SETTINGS or dotted_name(arg.value) != OWN_SETTINGS[name]:
            return (
                f"the server passes {channel.name} {code_of(arg.value)} after (self, conn, "
                "addr): only smtpd's settings by keyword, each the server's own, convert"
            )
    channel.leading_settings = {a.keyword.value for a in after if a.keyword is not None}
    return None


ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.SimpleString, cst.Integer, cst.Float)


def grouped(value: cst.BaseExpression) -> cst.BaseExpression:
    """The value in parentheses unless it is one atom: it may stand inside an expression."""
    if isinstance(value, ATOMS) or value.lpar:
        return value
    return value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class Substitute(cst.CSTTransformer):
    """Names of parameters replaced by values, but not attribute or keyword names."""

    def __init__(self, values: Dict[str, cst.BaseExpression]) -> None:
        super().__init__()
        self.values = values
        self.labels: Set[int] = set()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.labels.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.labels.add(id(node.keyword))

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if id(original_node) in self.labels or original_node.value not in self.values:
            return updated_node
        return self.values[original_node.value]


def substituted(
    stmt: cst.BaseStatement, values: Dict[str, cst.BaseExpression]
) -> cst.BaseStatement:
    result = stmt.visit(Substitute(values))
    assert isinstance(result, cst.BaseStatement)
    return result

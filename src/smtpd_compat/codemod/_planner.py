"""Read a module once and decide what can be rewritten safely.

The Planner converts the servers of a module all together or not at all, and
records a report for every construct that blocks the conversion, at its line.
Each rule adds its own analysis (``Rule.analysis``) and says when a plan needs
it (``Rule.needed_when``); the Planner knows no rule by name.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Protocol, Sequence, Set, Tuple, cast

import libcst as cst
import libcst.matchers
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from smtpd_compat.codemod._base_methods import base_use, process_message_of
from smtpd_compat.codemod._build import Bindings, block_body, code_of
from smtpd_compat.codemod._channels import attached_channel, read_channels
from smtpd_compat.codemod._choice import add_chosen_instance, chosen_classes, makes_own_class
from smtpd_compat.codemod._close import kept_dispatcher_names
from smtpd_compat.codemod._deferred import deferred_base_init
from smtpd_compat.codemod._forwarding import Forwarding
from smtpd_compat.codemod._keyword_dict import spelled_out
from smtpd_compat.codemod._listen import kept_listen
from smtpd_compat.codemod._made_per_message import per_message_reason
from smtpd_compat.codemod._mixins import defined_names, mixin_problems, split_mixins
from smtpd_compat.codemod._names import LegacyNames, dotted_name
from smtpd_compat.codemod._plan import (
    AIOSMTPD_CHANGES,
    DEBUGGING_HANDLER,
    DISPATCHER_ATTRS,
    DISPATCHER_WHY,
    FAILING_RELAY,
    GREETING,
    LEGACY_ATTRS,
    NO_OPTION_KWARGS,
    NOT_IMPLEMENTED,
    NOT_IMPLEMENTED_HANDLER,
    SECTION_CHANGES,
    SECTION_DEBUGGING,
    SECTION_HANDLER,
    SECTION_INIT,
    SECTION_MANUAL,
    SECTION_STARTUP,
    SECTION_THREAD,
    SERVER_BASES,
    SERVER_SUBCLASSES,
    STRICT_ASCII,
    Instance,
    Plan,
    Poll,
    ServerClass,
    adds_nothing,
    base_init_call,
    bind_server_args,
    fixed_port,
    instance_map,
    kept_for_code_elsewhere,
    literal_bool,
    map_parameter,
    private_map,
    server_args,
)
from smtpd_compat.codemod._report import Report
from smtpd_compat.codemod._threads import (
    THREAD_ATTRS,
    alias_name,
    analyse_thread,
    declares_global,
    drains_map,
    is_polling_call,
    loop_target,
    loop_thread_label,
    plain_loop,
    polling_timeout,
    reads_legacy_state,
    skipped_ids,
    small_call,
    socket_map_alias,
)
from smtpd_compat.codemod._versions import version_branches
from smtpd_compat.codemod._vestigial import UNUSED_BASE, unused_server_base

# ``self.server`` (instance methods), ``cls.server`` (a test's setUpClass/tearDownClass):
# the server kept on its class's instance or on the class, reached by the class's methods.
OWNERS = ("self.", "cls.")
LEFT = "no server this module creates could be converted"
UNUSED = (
    "class {name} is not instantiated in this module, so its start-up cannot be rewritten with it"
)
UNUSED_IN_PROGRAM = (
    "class {name} is not instantiated in this module, which serves another server: it becomes"
    " a handler all the same; code elsewhere that makes {name}(localaddr, remoteaddr, ...)"
    " must serve a {name}() with an aiosmtpd Controller instead"
)
# A polling loop that does other work beside asyncore.loop(timeout=T, count=1).
POLL_WITH_OTHER_WORK = (
    "the polling loop's other statements now run after each pass that ran messages, otherwise"
    " every T seconds of its timeout (smtpd's loop(count=1) returned after each event it"
    " served, a command or a connection): the controller serves the dialogues on its own"
    " thread meanwhile; lower the timeout if that work must run sooner after a command"
)


class RuleAnalysis(Protocol):
    """What the Planner asks of a rule (``_rule.Rule``): its own analysis, and when it is needed."""

    name: str

    def analyse(self, planner: Planner, module: cst.Module) -> None: ...

    def needed(self, plan: Plan) -> bool: ...


class Planner(cst.CSTVisitor):
    """Builds a Plan: one visit over the module, then whole-module decisions."""

    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider)

    def __init__(
        self,
        names: LegacyNames,
        rules: Sequence[RuleAnalysis],
        enabled: Set[str],
        as_if_converted: bool = False,
    ) -> None:
        super().__init__()
        self.plan = Plan(names)
        # Read on as if each blocked server class converted: what else blocks (make_plan)
        self.as_if_converted = as_if_converted
        self.blocked_classes = 0
        self.rules = rules
        self.enabled = enabled
        self.blockers: List[Report] = []
        self.notes: List[Report] = []  # the rules' notes, reported when the module converts
        self.calls: List[cst.Call] = []
        self.attributes: List[cst.Attribute] = []
        self.thread_targets: List[Tuple[cst.Call, cst.Arg]] = []
        self.target_loops: Set[int] = set()  # ``lambda: asyncore.loop(...)`` thread targets
        self.loop_calls: List[cst.Call] = []
        self.name_uses: Dict[str, int] = {}
        self.module_settings: List[Tuple[str, cst.Assign]] = []
        self.in_threads: Set[int] = set()  # nodes the thread rule rewrites
        self.thread_targets_of: Dict[str, ServerClass] = {}
        self.thread_instances = 0
        # (statement, what, key) of loops outside the block creating a server (same_block)
        self.distant: List[Tuple[cst.CSTNode, str, cst.CSTNode]] = []
        #: Every polling loop find_poll accepted, by id of its While.
        self.polls_found: Dict[int, Poll] = {}
        self.module = cst.Module(body=[])

    # -- helpers -----------------------------------------------------------
    def line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def block(self, node: cst.CSTNode, message: str, section: str = SECTION_MANUAL) -> None:
        self.blockers.append(Report(self.line(node), message, section))

    def add_note(self, node: cst.CSTNode, message: str, section: str) -> None:
        self.notes.append(Report(self.line(node), message, section, note=True))

    def legacy(self, node: cst.BaseExpression) -> Optional[str]:
        return self.plan.names.legacy_name(node)

    def statement_of(
        self, node: cst.CSTNode, kinds: Tuple[type, ...] = (cst.Assign, cst.Expr)
    ) -> Optional[cst.SimpleStatementLine]:
        """The one-statement line whose only statement (of ``kinds``: an assignment or an
        expression; ``cst.Return`` too where asked) contains ``node`` at its top."""
        parent = self.get_metadata(ParentNodeProvider, node)
        if isinstance(parent, kinds):
            line = self.get_metadata(ParentNodeProvider, parent)
            if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
                return line
        return None

    def owner_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The block a statement (or a node in one: ``Thread(...).start()``) runs in; a
        ``try`` body counts as its parent's block."""
        owner = self.get_metadata(ParentNodeProvider, node)
        while not isinstance(owner, (cst.IndentedBlock, cst.Module)):
            owner = self.get_metadata(ParentNodeProvider, owner)
        if isinstance(owner, cst.IndentedBlock):
            holder = self.get_metadata(ParentNodeProvider, owner)
            if isinstance(holder, cst.Try):
                return self.owner_of(holder)
        return owner

    # -- visiting ----------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [self.legacy(b.value) for b in node.bases]
        if "smtpd.SMTPChannel" in bases:
            return  # read in visit_Module
        unused = unused_server_base(node, self.plan.names)
        if unused is not None:  # a Thread subclass only: its base goes (rule thread)
            self.plan.unused_server_bases.append(node)
            self.add_note(
                node, UNUSED_BASE.format(cls=node.name.value, base=unused), SECTION_THREAD
            )
            return
        if "smtpd.SMTPServer" in bases:
            self.add_server(node)
        elif any(b in SERVER_SUBCLASSES for b in bases):
            base = next(b for b in bases if b in SERVER_SUBCLASSES)
            blocker = base_use(node, base, self.plan.names).blocker
            if bases == ["smtpd.DebuggingServer"] and adds_nothing(node):
                self.plan.debugging_classes[node.name.value] = node
            elif blocker is None:
                self.add_server(node)
            else:
                where, reason = blocker
                message = f"class {node.name.value} {reason}: see the rule's section"
                self.block(where, message, SECTION_DEBUGGING)

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)
        name = self.legacy(node.func)
        if name == "asyncore.loop" and id(node) not in self.target_loops:
            self.loop_calls.append(node)
        arg = loop_target(node, self.plan.names)
        if arg is not None:
            self.thread_targets.append((node, arg))
            if isinstance(arg.value, cst.Lambda):  # its loop is the thread's
                self.target_loops.add(id(arg.value.body))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.attributes.append(node)

    def visit_Name(self, node: cst.Name) -> None:
        self.name_uses[node.value] = self.name_uses.get(node.value, 0) + 1

    def visit_Module(self, node: cst.Module) -> None:
        """Channels first: a server's handle_accept may build one defined below it."""
        self.module = node
        self.plan.channels, self.plan.channel_plans = read_channels(node, self.plan.names)

    def constant_bool(self, node: Optional[cst.BaseExpression]) -> Optional[bool]:
        """A literal True/False, or a module-level name bound once to one (``DECODE = True``)."""
        if not isinstance(node, cst.Name) or node.value in ("True", "False"):
            return literal_bool(node)
        m = cst.matchers
        assigned = m.findall(self.module, m.AssignTarget(target=m.Name(node.value)))
        rebound = m.findall(self.module, m.AugAssign(target=m.Name(node.value)) | m.Global())
        if len(assigned) != 1 or rebound:
            return None
        for statement in self.module.body:
            small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
            if isinstance(small, cst.Assign) and small.targets[0] is assigned[0]:
                return literal_bool(small.value) if len(small.targets) == 1 else None
        return None

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        target = self.legacy(node.targets[0].target)
        if target in ("smtpd.__version__", "smtpd.DEBUGSTREAM"):
            self.module_settings.append((target, node))

    # -- server classes ----------------------------------------------------
    def add_server(self, node: cst.ClassDef) -> None:
        """A server class converts when nothing blocks it; every blocker is reported."""
        names = self.plan.names
        extra = [b for b in node.bases if self.legacy(b.value) not in SERVER_BASES]
        mixins, extra = split_mixins(self.module, node, extra, names)  # kept as bases
        thread = None
        blocked = self.block_bases(node, [b for b in extra if not names.is_thread_class(b.value)])
        for where, problem in [p for m in mixins for p in mixin_problems(m)]:
            self.block(where, f"class {node.name.value} keeps this base, which {problem}")
            blocked = True
        if any(names.is_thread_class(b.value) for b in extra):
            thread = analyse_thread(node, names)
            for reason, where in zip(thread.reasons, thread.where):
                self.block(
                    where,
                    f"class {node.name.value} is also a threading.Thread and cannot become a "
                    f"Controller: {reason}",
                    SECTION_THREAD,
                )
            blocked |= bool(thread.reasons)
        methods = {s.name.value: s for s in block_body(node.body) if isinstance(s, cst.FunctionDef)}
        process_message = process_message_of(node, self.plan.names)
        if process_message is None or process_message.asynchronous:
            what = "an async" if process_message else "no"
            self.block(
                process_message or node,
                f"class {node.name.value} has {what} process_message: smtpd called a plain one",
                SECTION_HANDLER,
            )
            return
        server = ServerClass(node, process_message, methods.get("__init__"), thread=thread)
        server.mixins = mixins
        if thread is not None:
            self.in_threads |= skipped_ids(thread)
        body_ok = self.check_class_body(server)
        init_ok = self.check_init(server)
        if body_ok and init_ok and not blocked or self.as_if_converted:
            self.plan.servers.append(server)
        else:
            self.blocked_classes += 1

    def block_bases(self, node: cst.ClassDef, extra: Sequence[cst.Arg]) -> bool:
        """Other bases and class keywords: a handler is a plain class. True if any."""
        others = [b for b in extra if dotted_name(b.value) != "object"]
        for base in [*others, *node.keywords]:
            written = code_of(base.with_changes(comma=cst.MaybeSentinel.DEFAULT))
            self.block(
                base,
                f"class {node.name.value} has another base or class keyword besides "
                f"smtpd.SMTPServer ({written}): the handler would lose what it gives",
            )
        return bool(others or node.keywords)

    def check_class_body(self, server: ServerClass) -> bool:
        skipped = skipped_ids(server.thread) if server.thread else set()
        server.channel, building = attached_channel(
            server.node, self.plan.channel_plans, self.plan.names, self.module
        )
        skipped |= {id(b) for b in building}  # channel_class, handle_accept: the channel's
        collector = SelfAttributes(skipped)
        server.node.visit(collector)
        for mixin in server.mixins:  # the handler keeps them: what they read, it reads
            mixin.visit(collector)
        inherited = {n for m in server.mixins for n in defined_names(m)}  # _mixins
        kept = kept_dispatcher_names(server, collector.read, collector.defined, self.plan.names)
        kept |= kept_listen(server, collector.read, collector.defined, self.plan.names)
        overridden = [n for n in collector.defined if n in DISPATCHER_ATTRS - kept]
        forbidden = DISPATCHER_ATTRS
        if server.thread is not None:  # the handler keeps the bound socket as self.socket
            forbidden = (DISPATCHER_ATTRS - {"socket"}) | THREAD_ATTRS
        given = inherited | kept  # _mixins, _close
        unsupported = sorted(((collector.read | set(overridden)) & forbidden) - given)
        for name in unsupported:
            used = "overrides" if name in overridden else "uses"
            self.block(
                collector.first.get(name, server.node),
                f"class {server.name} {used} the {owner_of_attribute(name)}'s {name}: "
                f"{(name == 'close' and server.close_why) or DISPATCHER_WHY(name)}",
            )
        if unsupported:
            return False
        server.attrs_read = collector.read & set(LEGACY_ATTRS)
        return True

    def check_init(self, server: ServerClass) -> bool:
        if server.init is None:
            return True
        statements, server.version_ifs = version_branches(block_body(server.init.body))
        calls = [s for s in statements if self.is_base_init(s, server)]
        if not calls:  # ``def __init__(self): pass``, the base call in start() (_deferred)
            calls = deferred_base_init(server, lambda s: self.is_base_init(s, server))
            server.binds_in_init = bool(calls)
        if len(calls) != 1:
            self.block(
                server.init,
                f"{server.name}.__init__ does not call the base "
                "__init__ exactly once at its top level",
                SECTION_INIT,
            )
            return False
        call = base_init_call(calls[0])
        assert call is not None and isinstance(call.func, cst.Attribute)
        base_init = calls[0]
        assert isinstance(base_init, cst.SimpleStatementLine)  # base_init_call() checked it
        explicit = not isinstance(call.func.value, cst.Call)
        args = list(call.args)
        if explicit and args and not args[0].star:
            args = args[1:]  # the explicit ``self`` of ``smtpd.SMTPServer.__init__(self, ...)``
        bound = bind_server_args(spelled_out(server.init, args))  # _keyword_dict
        decode_data = self.constant_bool((bound or {}).get("decode_data"))
        computed = decode_data is None and server.thread is None  # read at run time (handler)
        private = bound is not None and private_map(bound) and server.thread is None
        map_param = map_parameter(server.init, bound["map"]) if bound and private else None
        readable = decode_data is not None or computed
        if bound is not None and (not private_map(bound) or map_param) and readable:
            server.base_init, server.base_args, server.decode_data = base_init, bound, decode_data
            server.runtime_decode, server.map_param = computed, map_param
            return True
        forwarding = Forwarding.of(server.init, args, explicit)
        if forwarding is not None and not (server.thread and forwarding.self_in_star):
            # ``super().__init__(*args, **kwargs)``: read smtpd's arguments at each instance.
            server.base_init, server.forwarding = base_init, forwarding
            return True
        self.block(
            calls[0],
            f"{server.name}.__init__ passes arguments to smtpd.SMTPServer "
            "that cannot be read statically (star-args, map=, or a computed "
            "decode_data)",
            SECTION_INIT,
        )
        return False

    def is_base_init(self, statement: cst.BaseStatement, server: ServerClass) -> bool:
        call = base_init_call(statement)
        if call is None or not isinstance(call.func, cst.Attribute):
            return False
        if call.func.attr.value != "__init__":
            return False
        owner = call.func.value
        if isinstance(owner, cst.Call):
            return dotted_name(owner.func) == "super"
        return self.legacy(owner) in SERVER_BASES

    # -- whole-module decisions --------------------------------------------
    def leave_Module(self, original_node: cst.Module) -> None:
        made = self.plan.servers or self.plan.debugging_classes
        if not made and not self.loop_calls and not self.thread_targets:
            self.finish(False)
            return
        ok = all([self.find_instances(), self.find_loops(), self.find_uses()])
        for rule in self.rules:  # the rules' own analyses (start-up, banner, debugstream)
            rule.analyse(self, original_node)
        ok = ok and self.rules_needed()
        self.finish(ok and not self.blockers)

    def finish(self, convert: bool) -> None:
        self.plan.convert = convert
        self.plan.reports.extend(self.blockers)
        if convert:
            self.plan.reports.extend([*self.behaviour_notes(), *self.notes])

    def behaviour_notes(self) -> List[Report]:
        """What converted code does differently, said once at each server's creation."""
        notes = []
        for instance in self.plan.instances:
            notes.append(self.note(instance.statement, instance.server, instance.not_implemented))
            if instance.escapes is not None:
                notes.append(
                    Report(
                        self.line(instance.escapes),
                        f"{instance.target} leaves this function: "
                        + kept_for_code_elsewhere(instance, stopper(instance)),
                        SECTION_STARTUP,
                        note=True,
                    )
                )
            if instance.read_outside is not None:
                notes.append(self.outside_read_note(instance, instance.read_outside))
        for server in self.plan.thread_servers:
            notes.append(self.note(server.base_init or server.node, server))
        for server in [s for s in self.plan.servers if s.raised_type_error]:  # once, at its def
            own = any(s is server.process_message for s in block_body(server.node.body))
            where = server.process_message if own else server.node
            note = FAILING_RELAY if server.keeps_failing_relay else NO_OPTION_KWARGS
            notes.append(Report(self.line(where), note, SECTION_CHANGES, note=True))
        return notes

    def outside_read_note(self, instance: Instance, attribute: cst.Attribute) -> Report:
        read = dotted_name(attribute) or "the server's socket"
        holder = attribute.value
        owner = dotted_name(holder.value) if isinstance(holder, cst.Attribute) else None
        controller = instance.controller_name
        if owner is not None:  # the name that code outside the class reaches it by
            controller = controller.replace("self.", f"{owner}.", 1)
        return Report(
            self.line(attribute),
            f"{read} reads the server outside its class: "
            + kept_for_code_elsewhere(instance, controller),
            SECTION_STARTUP,
            note=True,
        )

    def note(
        self, node: cst.CSTNode, server: Optional[ServerClass], not_implemented: bool = False
    ) -> Report:
        changes = list(AIOSMTPD_CHANGES[1:] if server is None else AIOSMTPD_CHANGES)
        if not_implemented:
            changes.insert(0, NOT_IMPLEMENTED)
        if server is not None and server.decode_data and not server.decodes_itself:
            changes.insert(0, STRICT_ASCII)
        if self.plan.banner is None:
            changes.append(GREETING)
        return Report(self.line(node), "; ".join(changes), SECTION_CHANGES, note=True)

    def rules_needed(self) -> bool:
        """Every rule this plan needs (each rule says when) is enabled."""
        return all(r.name in self.enabled for r in self.rules if r.needed(self.plan))

    def find_instances(self) -> bool:
        classes = {s.name: s for s in self.plan.servers}
        called = set()
        for call in self.calls:
            name = dotted_name(call.func)
            legacy = self.legacy(call.func)
            makes = name in classes or name in self.plan.debugging_classes
            makes |= legacy in ("smtpd.SMTPServer", "smtpd.DebuggingServer", "smtpd.PureProxy")
            per_message = (
                per_message_reason(call, [s.node for s in self.plan.servers]) if makes else None
            )
            if per_message is not None:  # no start-up there (_made_per_message)
                self.block(call, per_message, SECTION_STARTUP)
                continue
            chosen = None if name in classes else chosen_classes(call.func, self.module, classes)
            if name in classes and classes[name].thread is not None:
                called.add(name)
                self.add_thread_instance(call, classes[name])
            elif name in classes:
                called.add(name)
                self.add_instance(call, classes[name])
            elif legacy == "smtpd.DebuggingServer":
                self.add_instance(call, None)
            elif name in self.plan.debugging_classes:
                called.add(name)
                self.add_instance(call, None, name)
            elif legacy == "smtpd.SMTPServer":
                self.add_instance(call, None, NOT_IMPLEMENTED_HANDLER)
            elif legacy == "smtpd.PureProxy":
                self.block(call, f"{legacy} is instantiated directly", SECTION_DEBUGGING)
            elif chosen:  # ``SERVERS[MODE](...)``
                called.update(s.name for s in chosen)
                add_chosen_instance(self, call, chosen)
            elif code_of(call.func) in ("cls", "self.__class__", "type(self)"):
                name = code_of(call.func)
                server = self.made_inside(call)
                if server is not None and makes_own_class(self.scope_of(call), name):
                    called.add(server.name)
                    self.add_instance(call, server)
                elif server is not None:
                    called.add(server.name)
                    self.block(
                        call,
                        f"{server.name} is created as {name}(...) inside its own class: its "
                        "start-up cannot be rewritten from here (make the Controller there by "
                        "hand, see the startup rule's section)",
                        SECTION_STARTUP,
                    )
        unused = [s.node for s in self.plan.servers if s.name not in called and s.thread is None]
        unused_debugging = [c for n, c in self.plan.debugging_classes.items() if n not in called]
        # A module that serves another server is a program: an unused class there is dead
        # code, and converts. In a module serving none it is the module's API: it stays.
        converted = unused if self.plan.instances or self.thread_instances else []
        for node in converted:
            self.add_note(node, UNUSED_IN_PROGRAM.format(name=node.name.value), SECTION_STARTUP)
        for node in [n for n in unused if n not in converted] + unused_debugging:
            self.block(node, UNUSED.format(name=node.name.value), SECTION_STARTUP)
        return True

    def read_for_its_socket(
        self, call: cst.Call
    ) -> Tuple[Optional[cst.Attribute], Optional[cst.SimpleStatementLine]]:
        """``Server(...).socket`` inside a one-statement line that always runs it (no
        lambda, condition or comprehension between): the server can be made as ``server``
        just above that line, where no other ``server`` is, and its socket read there."""
        parent = self.get_metadata(ParentNodeProvider, call)
        if not (isinstance(parent, cst.Attribute) and parent.attr.value == "socket"):
            return None, None
        node: cst.CSTNode = parent
        while not isinstance(node, cst.SimpleStatementLine):
            node = self.get_metadata(ParentNodeProvider, node)
            if not isinstance(node, ALWAYS_EVALUATED):
                return None, None
        if len(node.body) != 1 or not self.free_global("server"):
            return None, None
        return parent, node

    def free_global(self, name: str) -> bool:
        """True when no code reads or binds ``name`` but as a local of its own function
        (``server = smtplib.SMTP(...)`` in a method), an attribute or a keyword: a module
        variable of that name is nobody's."""
        for node in libcst.matchers.findall(self.module, libcst.matchers.Name(name)):
            parent = self.get_metadata(ParentNodeProvider, node)
            if isinstance(parent, cst.Attribute) and parent.attr is node:
                continue
            if isinstance(parent, cst.Arg) and parent.keyword is node:
                continue
            scope = self.scope_of(node)
            if not (isinstance(scope, cst.FunctionDef) and binds(scope, name)):
                return False
        return True

    def made_inside(self, call: cst.Call) -> Optional[ServerClass]:
        """The server class whose method creates an instance of its own class with ``call``."""
        node: cst.CSTNode = call
        while not isinstance(node, cst.Module):
            node = self.get_metadata(ParentNodeProvider, node)
            server = next((s for s in self.plan.servers if s.node is node), None)
            if server is not None:
                return server
        return None

    def add_instance(
        self, call: cst.Call, server: Optional[ServerClass], made: str = DEBUGGING_HANDLER
    ) -> None:
        statement = self.statement_of(call, (cst.Assign, cst.Expr, cst.Return))
        what = server.name if server else dotted_name(call.func) or "the server"
        socket_read = None
        if statement is None:  # ``print(Server(...).socket.getsockname()[1])``
            socket_read, statement = self.read_for_its_socket(call)
        if statement is None:
            self.block(call, f"{what}(...) is not a statement of its own", SECTION_STARTUP)
            return
        small = statement.body[0]
        target = None
        if isinstance(small, cst.Return) and binds(self.scope_of(call), "server"):
            self.block(call, f"{what}(...) is returned where 'server' is taken", SECTION_STARTUP)
            return
        if isinstance(small, cst.Assign) and socket_read is None:
            if len(small.targets) != 1 or dotted_name(small.targets[0].target) is None:
                self.block(
                    call, f"{what}(...) is assigned to an unsupported target", SECTION_STARTUP
                )
                return
            target = dotted_name(small.targets[0].target)
        args = server_args(call, server)
        if args is None or (private_map(args) and dotted_name(args["map"]) is None):
            self.block(
                call,
                f"the arguments of {what}(...) cannot be read statically "
                "(star-args, extra arguments or map=)",
                SECTION_STARTUP,
            )
            return
        decode_data = self.constant_bool(args.get("decode_data"))
        if decode_data is None and (
            server is None or server.init is not None and not server.forwards
        ):
            self.block(call, f"decode_data of {what}(...) is not a literal", SECTION_STARTUP)
            return
        if decode_data and made == NOT_IMPLEMENTED_HANDLER:
            self.block(
                call,
                f"{what}(..., decode_data=True) is smtpd.SMTPServer itself, whose "
                "process_message raised NotImplementedError on every message: subclass it "
                "or use a handler",
            )
            return
        if server is not None and (server.init is None or server.forwards):
            if server.runtime_decode or server.decode_data not in (None, decode_data):
                decode_data = None  # computed, or instances differ: each handler keeps its own
            server.runtime_decode = decode_data is None  # then read at run time (rule handler)
            server.decode_data = decode_data
        owner = self.owner_of(statement)
        instance = Instance(statement, call, server, target, args, owner, handler_class=made)
        instance.returned = isinstance(small, cst.Return)
        if socket_read is not None:  # made as ``server`` on the lines above, read from there
            instance.inline = True
            self.plan.sockets[socket_read] = instance
        instance.socket_map = args.get("map") or instance_map(call, server)
        instance.indent = self.indent_of(statement)
        instance.bound = not fixed_port(args.get("localaddr"))
        instance.bound |= server is not None and server.controller_class != "BoundController"
        instance.bound |= instance.closes_itself  # stop() safe at any time
        self.plan.instances.append(instance)

    def add_thread_instance(self, call: cst.Call, server: ServerClass) -> None:
        """The instance stays as it is: remember its name to check what the module does with it."""
        self.thread_instances += 1
        if server.forwarding is not None:  # what smtpd received is read at each instance
            args = server.forwarding.bind(call.args)
            decode_data = self.constant_bool(args.get("decode_data")) if args else None
            if args is None or private_map(args) or server.decode_data not in (None, decode_data):
                decode_data = None
            if decode_data is None:
                self.block(
                    call,
                    f"the arguments of {server.name}(...) cannot be read statically (star-args, "
                    "map=, or a decode_data that is computed or differs between instances)",
                    SECTION_THREAD,
                )
            server.decode_data = decode_data
        parent = self.get_metadata(ParentNodeProvider, call)
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = dotted_name(parent.targets[0].target)
            if target is not None:
                self.thread_targets_of[target] = server

    def find_loops(self) -> bool:
        for call in self.loop_calls:
            if id(self.statement_of(call)) in self.in_threads or self.inside_thread_run(call):
                continue
            if self.find_poll(call):
                continue
            statement = self.statement_of(call)
            if (
                statement is None
                or not isinstance(statement.body[0], cst.Expr)
                or not plain_loop(call)[0]
            ):
                self.block(
                    call,
                    "this asyncore.loop() call is not a plain blocking loop "
                    "statement (count=, map=, or part of an expression)",
                    SECTION_STARTUP,
                )
                continue
            if self.same_block(statement, "asyncore.loop()"):
                self.plan.loops.append(statement)
        for call, target in self.thread_targets:
            what = loop_thread_label(target)
            if self.same_block(self.statement_of(call) or call, what, key=call):
                self.add_loop_thread(call)
        return True

    def add_loop_thread(self, call: cst.Call) -> None:
        """``Thread(target=asyncore.loop)`` to rewrite; where it starts, for its length."""
        self.plan.threads.append(call)
        self.plan.columns[id(call)] = self.get_metadata(PositionProvider, call).start.column
        self.drop_loop_arguments(call)

    def drop_loop_arguments(self, call: cst.Call) -> None:
        """``kwargs = {...}`` made only for asyncore.loop goes with the thread's kwargs=."""
        for arg in call.args:
            if not (arg.keyword and arg.keyword.value in ("args", "kwargs")):
                continue
            if not isinstance(arg.value, cst.Name):
                continue
            if uses_in_scope(self.scope_of(call), arg.value.value) != 2:
                continue  # more than the assignment and this argument
            line = self.statement_of(call) or call
            block = self.get_metadata(ParentNodeProvider, line)
            for stmt in getattr(block, "body", ()):
                small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
                if (
                    isinstance(small, cst.Assign)
                    and len(stmt.body) == 1
                    and len(small.targets) == 1
                    and dotted_name(small.targets[0].target) == arg.value.value
                ):
                    self.plan.dropped.append(stmt)

    def indent_of(self, node: cst.CSTNode) -> int:
        """The column a statement starts at (its blocks' indents added up)."""
        columns = 0
        parent = self.get_metadata(ParentNodeProvider, node)
        while not isinstance(parent, cst.Module):
            if isinstance(parent, cst.IndentedBlock):
                columns += len(parent.indent if parent.indent is not None else "    ")
            parent = self.get_metadata(ParentNodeProvider, parent)
        return columns

    def inside_thread_run(self, node: cst.CSTNode) -> bool:
        runs = {id(s.thread.run) for s in self.plan.thread_servers if s.thread}
        while node is not None and not isinstance(node, cst.Module):
            if id(node) in runs:
                return True
            node = self.get_metadata(ParentNodeProvider, node)
        return False

    def find_poll(self, call: cst.Call) -> bool:
        """``while <cond>: asyncore.loop(timeout=T, count=1)`` in the block of the servers."""
        alias = socket_map_alias(self.scope_of(call), self.plan.names)
        statement = self.statement_of(call)
        block = self.get_metadata(ParentNodeProvider, statement) if statement else None
        if not isinstance(block, cst.IndentedBlock):
            return False
        loop = self.get_metadata(ParentNodeProvider, block)
        if not isinstance(loop, cst.While) or loop.orelse is not None:
            return False
        shared = alias_name(alias)
        if not is_polling_call(call, self.plan.names, shared) and not drains_map(
            call, loop.test, self.plan.names, shared
        ):
            return False
        others = [s for s in block.body if s is not statement]
        polls_only = is_polling_call(call, self.plan.names, shared)
        if others and (not polls_only or self.uses_legacy(others)):
            return False
        if reads_legacy_state(loop.test, self.plan.names):
            self.block(loop, "the polling loop's condition reads legacy state", SECTION_THREAD)
            return True
        call_line = statement if others else None
        poll = Poll(loop, polling_timeout(call), alias, call_line)
        self.polls_found[id(loop)] = poll  # a distant one: the startup rule's serve()
        if self.same_block(loop, "the polling loop"):
            self.add_poll(poll)
        return True

    def add_poll(self, poll: Poll) -> None:
        """The polling loop serves its servers: the thread rule rewrites it."""
        self.plan.polls.append(poll)
        call = small_call(poll.call_line) if poll.call_line is not None else None
        if call is not None:
            self.add_note(call, POLL_WITH_OTHER_WORK, SECTION_CHANGES)

    def uses_legacy(self, nodes: List[cst.BaseStatement]) -> bool:
        m = cst.matchers
        found = (n for node in nodes for n in m.findall(node, m.Name() | m.Attribute()))
        return any(self.legacy(cast(cst.BaseExpression, n)) is not None for n in found)

    def same_block(self, statement: cst.CSTNode, what: str, key: Any = None) -> bool:
        """The servers created in the block of ``statement`` are the ones it serves."""
        owner = self.owner_of(statement)
        here = [i for i in self.plan.instances if i.owner is owner]
        if not self.plan.instances:
            self.block(
                statement,
                f"{what} left as is: {LEFT}",
                SECTION_STARTUP,
            )
            return False
        key = statement if key is None else key
        if not here:  # the startup rule follows the server to it (_serving), or blocks
            self.distant.append((statement, what, key))
            return False
        self.plan.served[id(key)] = here
        return True

    def find_uses(self) -> bool:
        for instance in self.plan.instances:
            self.check_escape(instance)
        self.find_sockets_read_through_owners()
        for attribute in self.attributes:
            target = dotted_name(attribute.value)  # None: a call's result, not an instance
            named = [i for i in self.plan.instances if target and i.target == target]
            if not named or self.channel_parameter(attribute):
                continue
            reached = [i for i in named if self.same_object(attribute, i)]
            nearest = [i for i in reached if self.scope_of(i.statement) is self.scope_of(attribute)]
            instance = (nearest or reached or named)[-1]
            handed_out = [i for i in named if i.escapes is not None]
            alone = len(self.plan.instances) == 1  # the startup rule follows it (_serving)
            if not reached and handed_out and (attribute.attr.value == "socket" or alone):
                continue  # the handler it handed out keeps the socket (rule startup)
            made_in = self.scope_of(instance.statement)
            if not reached and alone and declares_global(made_in, instance.target):
                continue  # ``global server`` where it is made: followed as a module name
            if not reached and self.another_local(attribute, instance.target):
                continue  # ``server = smtplib.SMTP(...)`` there: not this instance
            if not reached:
                self.block(
                    attribute,
                    f"{dotted_name(attribute)} is used outside the function "
                    f"that creates {instance.target}: the converted handler has no "
                    f"{attribute.attr.value}, and its controller is not in reach there",
                    SECTION_STARTUP,
                )
                continue
            if attribute.attr.value == "socket":
                self.plan.sockets[attribute] = instance
                instance.bound = True
            elif attribute.attr.value == "close":
                self.add_close(attribute, instance)
            elif attribute.attr.value in LEGACY_ATTRS:
                self.keep_legacy_attribute(attribute, instance)
            elif attribute.attr.value in DISPATCHER_ATTRS:
                self.block(
                    attribute,
                    f"{instance.target}.{attribute.attr.value} is the "
                    "dispatcher's: a handler has no such attribute",
                    SECTION_STARTUP,
                )
        for call in self.calls:
            if self.legacy(call.func) == "asyncore.close_all":
                statement = self.statement_of(call)
                if id(statement) in self.in_threads or self.inside_thread_run(call):
                    continue
                alone = len(self.plan.instances) == 1 and not self.thread_instances
                if statement is None and alone:  # ``lambda *a: asyncore.close_all()``
                    self.plan.closes[call] = self.plan.instances[0]
                elif statement is None:
                    self.block(
                        call, "asyncore.close_all() is part of an expression", SECTION_STARTUP
                    )
                else:
                    self.plan.close_alls.append(statement)
        return True

    def scope_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The function (or the module) a node runs in."""
        while not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.Module)):
            node = self.get_metadata(ParentNodeProvider, node)
        return node

    def same_object(self, attribute: cst.Attribute, instance: Instance) -> bool:
        """True when ``name.attr`` reads the instance: in its scope, or an unshadowed global."""
        here, there = self.scope_of(attribute), self.scope_of(instance.statement)
        if here is there:
            return True
        name = instance.target or ""
        if name.startswith(OWNERS):  # an attribute: any method of the same class reaches it
            return self.class_of(here) is not None and self.class_of(here) is self.class_of(there)
        return isinstance(there, cst.Module) and "." not in name and not binds(here, name)

    def another_local(self, attribute: cst.Attribute, name: Optional[str]) -> bool:
        """``name.attr`` in a function whose own ``name`` is made there by calls other
        than a server class's (``server = smtplib.SMTP(...)``, ``with ... as server``):
        another object that shares the instance's name, which its use never reaches."""
        scope = self.scope_of(attribute)
        if not isinstance(scope, cst.FunctionDef) or not name or "." in name:
            return False
        if name in parameter_names(scope) or declares_global(scope, name):
            return False
        m = cst.matchers
        target = m.Name(name)
        assigns = m.findall(scope, m.Assign(targets=[m.AssignTarget(target)]))
        items = m.findall(scope, m.WithItem(asname=m.AsName(name=target)))
        made = [cast(cst.Assign, a).value for a in assigns]
        made += [cast(cst.WithItem, w).item for w in items]
        bound = m.findall(scope, m.AssignTarget(target) | m.AsName(name=target))
        if not made or len(made) != len(bound):
            return False  # a tuple target, a for loop, an except clause: not followed
        imported = self.imported_names()
        return all(
            isinstance(value, cst.Call)
            and (dotted_name(value.func) or "").split(".")[0] in imported
            and self.legacy(value.func) is None
            for value in made
        )

    def imported_names(self) -> Set[str]:
        """Names the module's imports bind: what they make is no server of this module
        (a function of its own could return one)."""
        m = cst.matchers
        names: Set[str] = set()
        for alias in m.findall(self.module, m.ImportAlias()):
            assert isinstance(alias, cst.ImportAlias)
            bound = alias.asname.name if alias.asname is not None else alias.name
            names.add((dotted_name(cast(cst.BaseExpression, bound)) or "").split(".")[0])
        return names

    def channel_parameter(self, attribute: cst.Attribute) -> bool:
        """``server.x`` in a channel method taking ``server``: what smtpd passed, no instance."""
        scope = self.scope_of(attribute)
        name = dotted_name(attribute.value) or ""
        if not any(self.class_of(scope) is c for c in self.plan.channels):
            return False
        assert isinstance(scope, cst.FunctionDef)
        return name in parameter_names(scope, stars=False)

    def class_of(self, function: cst.CSTNode) -> Optional[cst.ClassDef]:
        """The class a method is defined in, directly."""
        if not isinstance(function, cst.FunctionDef):
            return None
        block = self.get_metadata(ParentNodeProvider, function)
        if not isinstance(block, cst.IndentedBlock):
            return None  # a module-level function
        holder = self.get_metadata(ParentNodeProvider, block)
        return holder if isinstance(holder, cst.ClassDef) else None

    def find_sockets_read_through_owners(self) -> None:
        """``owner.server.socket`` where a class keeps its server as ``self.server``.

        Code outside the class reads the dispatcher's socket (a fixture's port): the
        converted handler keeps its controller's socket under that name (rule startup).
        """
        targets = {i.target for i in self.plan.instances}
        for attribute in self.attributes:
            holder = attribute.value
            if attribute.attr.value != "socket" or not isinstance(holder, cst.Attribute):
                continue
            if dotted_name(holder) in targets:
                continue  # read where the instance is in reach (find_uses)
            for instance in self.plan.instances:
                if instance.target == f"self.{holder.attr.value}" and instance.escapes is None:
                    instance.bound = True
                    instance.read_outside = instance.read_outside or attribute

    def check_escape(self, instance: Instance) -> None:
        """A server returned or yielded by its function is read elsewhere: socket, close()."""
        scope = self.scope_of(instance.statement)
        if not isinstance(scope, cst.FunctionDef) or instance.target is None:
            return
        finder = Escapes(instance.target)
        scope.visit(finder)
        if finder.found and "." in instance.target:
            self.block(
                finder.found[0],
                f"{instance.target} leaves {scope.name.value}() here: code elsewhere may read "
                "its socket or call close(), which the converted handler has not",
                SECTION_STARTUP,
            )
        elif finder.found:  # a fixture: the handler keeps the socket, as smtpd's server did
            instance.bound = True
            instance.escapes = finder.found[0]

    def keep_legacy_attribute(self, attribute: cst.Attribute, instance: Instance) -> None:
        """``server._remoteaddr`` read where the server is made: the handler keeps it
        (rule handler stores what smtpd stored); a handler made otherwise has none."""
        name = attribute.attr.value
        server = instance.server
        if server is not None and (server.init is None or server.forwards):
            server.attrs_read.add(name)
            return
        if server is not None and LEGACY_ATTRS[name] in server.base_args:
            return  # rule init stores what the base __init__ was passed
        self.block(
            attribute,
            f"{dotted_name(attribute)} reads the {name} smtpd stored on the server: "
            "the converted handler does not have it",
            SECTION_STARTUP,
        )

    def add_close(self, attribute: cst.Attribute, instance: Instance) -> None:
        call = self.get_metadata(ParentNodeProvider, attribute)
        if isinstance(call, cst.Call) and not call.args:
            self.plan.closes[call] = instance
        elif isinstance(call, cst.Arg) and not call.star:  # addCleanup(server.close)
            self.plan.closes[attribute] = instance  # its controller's stop, called later
            instance.bound = True  # stop() safe before start(), as close() was
        else:
            self.block(
                attribute, f"{instance.target}.close is not called directly", SECTION_STARTUP
            )


class Escapes(cst.CSTVisitor):
    """``return``/``yield`` statements whose value hands out what a name holds."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found: List[cst.CSTNode] = []

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None and hands_out(node.value, self.name):
            self.found.append(node)

    def visit_Yield(self, node: cst.Yield) -> None:
        if isinstance(node.value, cst.BaseExpression) and hands_out(node.value, self.name):
            self.found.append(node)


def hands_out(value: cst.BaseExpression, name: str) -> bool:
    """``value`` holds ``name`` (a name or ``self.<attr>``) itself, not only its ``.socket``.

    ``return server.socket`` hands out the bound socket, which the converted code still has
    there (rule startup); ``return server`` or ``return self.server, port`` hand the server on.
    (``return self`` hands out the owner of ``self.server``: its readers reach
    ``owner.<attr>`` by name, see find_sockets_read_through_owners.)
    """
    found = [
        n
        for n in cst.matchers.findall(value, cst.matchers.Attribute() | cst.matchers.Name())
        if isinstance(n, (cst.Attribute, cst.Name))
    ]
    named = sum(1 for n in found if dotted_name(n) == name)
    sockets = [n for n in found if isinstance(n, cst.Attribute) and n.attr.value == "socket"]
    return named > sum(1 for n in sockets if dotted_name(n.value) == name)


def stopper(instance: Instance) -> str:
    """The controller code elsewhere reaches: the one the handler carries, if it does."""
    return f"{instance.target}.controller" if instance.carries else instance.controller_name


def owner_of_attribute(name: str) -> str:
    """Whose attribute a converted class loses: the thread's or the dispatcher's."""
    return "thread" if name in THREAD_ATTRS and name not in DISPATCHER_ATTRS else "dispatcher"


def uses_in_scope(scope: cst.CSTNode, name: str) -> int:
    """How often ``name`` is read or assigned in a scope (keyword argument names not counted)."""
    m = cst.matchers
    every = len(m.findall(scope, m.Name(name)))
    return every - len(m.findall(scope, m.Arg(keyword=m.Name(name))))


def parameter_names(function: cst.FunctionDef, stars: bool = True) -> List[str]:
    """The names a function's parameters bind (``*args`` and ``**kwargs`` too, by default)."""
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    if stars:
        every += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return [p.name.value for p in every]


# Nodes between an expression and its statement that always evaluate it, in order.
ALWAYS_EVALUATED = (
    cst.Attribute,
    cst.Subscript,
    cst.SubscriptElement,
    cst.Index,
    cst.Call,
    cst.Arg,
    cst.BinaryOperation,
    cst.FormattedString,
    cst.FormattedStringExpression,
    cst.Tuple,
    cst.List,
    cst.Element,
    cst.Expr,
    cst.Assign,
    cst.SimpleStatementLine,
)


def binds(function: cst.CSTNode, name: str) -> bool:
    """True when a function has a parameter or a binding of its own called ``name``: an
    assignment (a tuple's element too), a ``for``, ``with ... as``, ``except ... as`` or
    walrus target, an import or a nested def; a ``global`` declaration makes none."""
    if isinstance(function, cst.FunctionDef) and name in parameter_names(function):
        return True
    if declares_global(function, name):
        return False
    return name in bound_names(function)


def bound_names(function: cst.CSTNode) -> Set[str]:
    """The names the statements of ``function`` bind (nested functions' included)."""
    bindings = Bindings(nested=True)
    (function.body if isinstance(function, cst.FunctionDef) else function).visit(bindings)
    return {name for _, name in bindings.found}


class SelfAttributes(cst.CSTVisitor):
    """``self.x`` reads and method names inside a class body."""

    def __init__(self, skipped: Optional[Set[int]] = None) -> None:
        self.read: Set[str] = set()
        self.defined: Set[str] = set()
        self.first: Dict[str, cst.CSTNode] = {}  # where each name is first read or defined
        self.depth = 0
        self.skipped = skipped or set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) not in self.skipped and super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if id(original_node) not in self.skipped:
            super().on_leave(original_node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.depth == 0:
            self.defined.add(node.name.value)
            self.first.setdefault(node.name.value, node)
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.depth == 0:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.defined.add(target.target.value)
                    self.first.setdefault(target.target.value, node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            self.read.add(node.attr.value)
            self.first.setdefault(node.attr.value, node)


def make_plan(
    wrapper: MetadataWrapper, names: LegacyNames, rules: Sequence[RuleAnalysis], enabled: Set[str]
) -> Plan:
    """The plan for a module; ``rules`` are all the rules, ``enabled`` those that may run."""
    planner = Planner(names, rules, enabled)
    wrapper.visit(planner)
    if planner.blocked_classes:  # every blocker: those behind a blocked class's too
        again = Planner(names, rules, enabled, as_if_converted=True)
        wrapper.visit(again)
        found = set(planner.plan.reports)
        planner.plan.further = [r for r in again.blockers if r not in found and not r.note]
    return planner.plan

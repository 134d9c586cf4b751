"""What a module's rewrite needs: the servers, their instances and loops, by node identity.

The rules share one plan because their rewrites depend on each other: a server
class may become a handler only if every place that starts it becomes a
Controller, and ``asyncore.loop()`` may go only if no legacy server is left for
it to serve. ``_planner`` fills the plan; each rule adds its own analysis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._base_methods import BaseUse
from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._channels import (
    ChannelPlan,
)
from smtpd_compat.codemod._forwarding import SERVER_PARAMS, Forwarding
from smtpd_compat.codemod._names import LegacyNames, dotted_name
from smtpd_compat.codemod._report import Report
from smtpd_compat.codemod._threads import ThreadPlan, small_call

# Attributes smtpd.SMTPServer set in __init__ that the codemod carries over. ``addr`` is
# the dispatcher's, which bind() set to the same address (first: each parameter's own
# attribute, later in the dict, wins in the reverse maps, ATTRIBUTE_FOR).
LEGACY_ATTRS = {
    "addr": "localaddr",
    "_localaddr": "localaddr",
    "_remoteaddr": "remoteaddr",
    "data_size_limit": "data_size_limit",
    "enable_SMTPUTF8": "enable_SMTPUTF8",
    "_decode_data": "decode_data",
}
# asyncore.dispatcher surface: a handler has no socket, so these cannot be carried over.
DISPATCHER_ATTRS = frozenset(
    "socket _map close accept accepting connected bind listen getsockname set_socket"
    " create_socket set_reuse_addr add_channel del_channel readable writable channel_class"
    " handle_accept handle_accepted handle_close handle_error handle_read handle_write"
    " handle_expt handle_connect log log_info".split()
)
OPTION_KWARGS = ("mail_options", "rcpt_options")
# Bases a server class converts from: DebuggingServer and PureProxy subclasses only when
# they replace process_message (see _base_methods).
SERVER_SUBCLASSES = ("smtpd.DebuggingServer", "smtpd.PureProxy")
SERVER_BASES = ("smtpd.SMTPServer", *SERVER_SUBCLASSES)
THREAD_NAMES = frozenset(
    "join is_alive isAlive daemon setDaemon isDaemon name getName setName ident native_id".split()
)
SESSION_ATTRS = frozenset("channel_class accept handle_accept handle_accepted".split())


def DISPATCHER_WHY(name: str) -> str:  # noqa: N802 - reads as the table it stands for
    """Why a handler cannot carry a dispatcher attribute over, and what replaces it."""
    if name in SESSION_ATTRS:
        return "aiosmtpd makes the sessions (an SMTP subclass through Controller.factory())"
    if name in THREAD_NAMES:
        return "the converted class is no threading.Thread (its Controller owns the thread)"
    if name == "close":
        return "a handler cannot close; its Controller's stop() does"
    return "a handler has no socket of its own (its Controller has)"


# The handlers made where no server class of the module converts (server None).
DEBUGGING_HANDLER = "LegacyDebuggingHandler"  # smtpd.DebuggingServer (rule debugging)
NOT_IMPLEMENTED_HANDLER = "LegacySMTPServerHandler"  # smtpd.SMTPServer itself (rule handler)


SECTION_HANDLER = "Rule handler: process_message becomes handle_DATA"
SECTION_INIT = "Rule init: __init__ overrides"
SECTION_STARTUP = "Rule startup: asyncore.loop becomes a Controller"
SECTION_DEBUGGING = "Rule debugging: DebuggingServer and PureProxy"
SECTION_CHANNEL = "Rule channel: SMTPChannel subclasses"
SECTION_POLICY = "Rule policy: smtp_MAIL and smtp_RCPT overrides become hooks"
SECTION_AUTH = "Rule auth: AUTH channels become an authenticator"
SECTION_BANNER = "Rule banner: smtpd.__version__ becomes ident"
SECTION_DEBUGSTREAM = "Rule debugstream: smtpd.DEBUGSTREAM and debug switches"
SECTION_CONSTANTS = "Rule constants: smtpd's constants and Devnull"
SECTION_THREAD = "Rule thread: Thread subclasses and polling loops"
SECTION_VERBS = "Rule verbs: new verbs become an SMTP subclass"
SECTION_MANUAL = "What needs manual work"
SECTION_CHANGES = "What changes when you leave the shim"
# What a converted server does differently from smtpd, each with what to do.
AIOSMTPD_CHANGES = (
    "converted code answers an exception in process_message with 451 and the session goes"
    " on, so a client may send its next message in it (smtpd dropped the connection)",
    "aiosmtpd closes a session idle for 300 s (smtpd never did: pass timeout= to the"
    " Controller for another limit)",
    "a message of exactly data_size_limit bytes or one less gets 552 (aiosmtpd counts the"
    " final line end: raise data_size_limit by 2 if clients send such sizes)",
    "a message with one line over data_size_limit + 1000 bytes gets '500 Line too long'"
    " (smtpd: 552; both refuse it; shorter lines are taken, as smtpd took them);"
    " DATA ended by a lone '.' at once (an"
    " empty message) is taken (smtpd waited for more); after a 552 the session takes"
    " commands again (smtpd took them as a new message body)",
    "HELP lists aiosmtpd's commands, a second HELO/EHLO gets 250 (smtpd: 503), MAIL with"
    " SMTPUTF8 while it is off gets 501 (smtpd: 555), QUIT with an argument gets 501"
    " (smtpd: 221 and closed), NOOP with an argument gets 250 (smtpd: 501), AUTH and"
    " STARTTLS get aiosmtpd's refusals (503 or 538, and 454; smtpd: 500 not recognized), a"
    " command line too long gets '500 Command line too long' (smtpd: '500 Error: line too"
    " long'), the fifth unknown command in a session gets 502 and the session is closed"
    " (smtpd: 500 each time), a MAIL or RCPT address email's parser cannot read gets 553"
    " and a VRFY one 502 (smtpd dropped the connection): check clients that rely on these",
)
STRICT_ASCII = (
    "decode_data=True: aiosmtpd refuses non-ASCII bodies with 500 where smtpd decoded"
    " UTF-8 (this class has its own EHLO or MAIL hook): pass decode_data=False and decode"
    " in handle_DATA"
)
NO_OPTION_KWARGS = (
    "process_message does not take mail_options and rcpt_options, which smtpd"
    " (decode_data=False) passed: it raised TypeError on every message and smtpd dropped the"
    " connection; converted code runs it and answers what it returns (250 for None): check"
    " that this program should now take its mail, and test process_message, whose code never"
    " ran on Python 3 (a bug it hid, such as a lock taken twice, shows now)"
)
FAILING_RELAY = (
    "process_message is smtpd.PureProxy's, which raised TypeError on every message without"
    " decode_data=True (smtpd dropped the connection; nothing was relayed): converted code"
    " keeps that method, which fails on the bytes it is given, so every message gets 451"
    " and nothing is relayed: pass decode_data=True to relay"
)
NOT_IMPLEMENTED = (
    "smtpd.SMTPServer itself: its process_message raised NotImplementedError on every"
    " message and smtpd dropped the connection; converted code answers every message with"
    " 451 (the sender retries) and prints the traceback: write a handle_DATA if it should"
    " take mail"
)
GREETING = "the greeting is aiosmtpd's '220 <host> Python SMTP 1.4.6': pass ident= to keep smtpd's"


SHARED_EXECUTOR = "PROCESS_MESSAGE_EXECUTOR"


def own_executor(name: str) -> str:
    """``UpstreamSink`` -> ``UPSTREAM_SINK_EXECUTOR``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper().strip("_") + "_EXECUTOR"


@dataclass
class ServerClass:
    """A subclass of smtpd.SMTPServer and what its rewrite needs."""

    node: cst.ClassDef
    process_message: cst.FunctionDef
    init: Optional[cst.FunctionDef] = None
    base_init: Optional[cst.SimpleStatementLine] = None
    base_args: Dict[str, cst.BaseExpression] = field(default_factory=dict)
    attrs_read: Set[str] = field(default_factory=set)
    decode_data: Optional[bool] = None
    channel: Optional[ChannelPlan] = None
    thread: Optional[ThreadPlan] = None
    # __init__ passes its instances' arguments on (*args, **kwargs): read at each instance
    forwarding: Optional[Forwarding] = None
    # the statement of its own close() that closes the base: it becomes the controller's stop()
    base_close: Optional[cst.SimpleStatementLine] = None
    # the last statement of its own listen(): it goes, and the start-up calls listen (_listen)
    base_listen: Optional[cst.SimpleStatementLine] = None
    # it calls smtpd's self.close(): the handler gets a close() stopping its controller (_close)
    closes_by_controller: bool = False
    # its methods read self.socket once it serves: the handler gets its controller's (_close)
    reads_socket: bool = False
    # decode_data is computed (``decode_data=args.raw``): handle_DATA reads self._decode_data
    runtime_decode: bool = False
    # ``map=<param>`` in its base call: the instances' map is that argument (_maps)
    map_param: Optional[str] = None
    # plain classes of the module listed before the smtpd base: the handler keeps them (_mixins)
    mixins: List[cst.ClassDef] = field(default_factory=list)
    # ``Thread(target=asyncore.loop).start()`` in __init__ after the base call: the class
    # binds its controller where smtpd bound and that thread starts it (rule startup)
    loop_thread: Optional[cst.Call] = None
    # why its close() (its own, or smtpd's it calls) stays the dispatcher's (_close)
    close_why: Optional[str] = None
    # it binds its controller where its base call is, as smtpd bound there: __init__ reads
    # self.socket after that call (_close), or another method makes it (_deferred); the
    # loops that served it start that controller
    binds_in_init: bool = False
    # on a private map=: the loop serving that map ran its process_message on a thread of
    # its own, so it gets an executor of its own (rule handler, _maps)
    own_executor: bool = False
    # ``if sys.version_info ...:`` around its base call, decided on every target Python:
    # each becomes its live branch (_versions, rule init)
    version_ifs: List[cst.If] = field(default_factory=list)
    # it keeps smtpd.PureProxy's process_message without decode_data=True (rule debugging)
    keeps_failing_relay: bool = False

    @property
    def self_name(self) -> Optional[str]:
        """The name ``__init__`` calls its instance by (None: self is inside ``*args``)."""
        params = self.init.params.params if self.init is not None else ()
        return params[0].name.value if params else None

    @property
    def executor(self) -> str:
        """The executor its process_message runs on (one worker: smtpd's loop thread)."""
        return own_executor(self.name) if self.own_executor else SHARED_EXECUTOR

    @property
    def forwards(self) -> bool:
        return self.forwarding is not None

    @property
    def closes_itself(self) -> bool:
        """It has its own close(): the program's close() calls stay, and stop its controller."""
        return self.base_close is not None or self.closes_by_controller

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def stateful(self) -> bool:
        """True when the handler keeps the legacy constructor arguments."""
        return self.init is not None or bool(self.attrs_read)

    @property
    def controller_class(self) -> str:
        """The Controller the start-up makes: one building the channel's sessions (rule verbs)."""
        if self.channel is not None and self.channel.session:
            return f"{self.channel.name}Controller"
        return "BoundController"

    @property
    def decodes_itself(self) -> bool:
        """handle_DATA decodes UTF-8 and the Controller stays in bytes mode (rule handler).

        Not where the class has its own EHLO or MAIL hook: there the Controller keeps
        decode_data=True (strict ASCII) and the file's report says so.
        """
        if not self.decode_data and not self.runtime_decode:
            return False
        defined = {
            s.name.value for s in block_body(self.node.body) if isinstance(s, cst.FunctionDef)
        }
        policy_mail = self.channel is not None and any(h.verb == "MAIL" for h in self.channel.hooks)
        return not defined & {"handle_EHLO", "handle_MAIL"} and not policy_mail

    @property
    def raised_type_error(self) -> bool:
        """smtpd (decode_data=False) passed both options as keywords: this one refused them.

        (Decided at run time, handle_DATA passes what smtpd passed, refused as smtpd's were.)
        """
        if self.decode_data or self.runtime_decode:
            return False
        params = self.process_message.params
        names = {p.name.value for p in (*params.params, *params.kwonly_params)}
        return not isinstance(params.star_kwarg, cst.Param) and not set(OPTION_KWARGS) <= names

    @property
    def option_kwargs(self) -> Tuple[str, ...]:
        """The keyword arguments smtpd passed that this process_message accepts."""
        if self.decode_data:
            return ()
        params = self.process_message.params
        if isinstance(params.star_kwarg, cst.Param):
            return OPTION_KWARGS
        names = {p.name.value for p in (*params.params, *params.kwonly_params)}
        return tuple(k for k in OPTION_KWARGS if k in names)


@dataclass
class Instance:
    """A statement that creates a legacy server: ``[target =] Server(...)``."""

    statement: cst.SimpleStatementLine
    call: cst.Call
    server: Optional[ServerClass]  # None for smtpd.DebuggingServer or smtpd.SMTPServer itself
    target: Optional[str]
    args: Dict[str, cst.BaseExpression]
    owner: cst.CSTNode
    bound: bool = False
    indent: int = 0  # columns of the statement, for wrapping the emitted lines
    escapes: Optional[cst.CSTNode] = None  # the return/yield that hands the server out
    read_outside: Optional[cst.Attribute] = None  # ``owner.server.socket`` outside its class
    handler_class: str = DEBUGGING_HANDLER  # what is made when server is None
    returned: bool = False  # ``return Server(...)``: the handler is named, then returned
    carries: bool = False  # the handler keeps its controller as ``.controller`` (_serving)
    keeps_socket: bool = False  # code reads ``.socket`` where the value was handed (_serving)
    socket_map: Optional[cst.BaseExpression] = None  # the map= it is on, None: shared (_maps)
    # ``self.<attr> = Server(...)`` another thread waits for: made under this local name and
    # published once its socket is set, as smtpd's was bound when assigned (rule startup)
    staged: Optional[str] = None
    # made inside an expression that reads its socket (``print(Server(...).socket...)``): it
    # is made as ``server`` above that statement, which stays and reads the controller's
    inline: bool = False
    # an smtpd.DebuggingServer the program closes where the codemod does not follow it: its
    # handler's close() stops the controller it carries (rule handler, rule debugging)
    closes_by_controller: bool = False
    # unkept, and served by a loop that cannot reach it (in the caller, after a ``for``
    # block): its controller starts where it is made, and that loop serves (rule startup)
    starts_where_made: bool = False

    @property
    def not_implemented(self) -> bool:
        """smtpd.SMTPServer itself: its process_message raised NotImplementedError."""
        return self.server is None and self.handler_class == NOT_IMPLEMENTED_HANDLER

    @property
    def closes_itself(self) -> bool:
        """Its class has its own close(), which stops the controller it carries (_close)."""
        if self.server is None:
            return self.closes_by_controller
        return self.server.closes_itself

    @property
    def handler_name(self) -> str:
        return self.target or "server"

    @property
    def starts_itself(self) -> bool:
        """Its class's __init__ makes and starts its controller (ServerClass.loop_thread)."""
        server = self.server
        return server is not None and (server.loop_thread is not None or server.binds_in_init)

    @property
    def controller_name(self) -> str:
        if self.starts_itself:
            return f"{self.handler_name}.controller"
        return f"{self.handler_name}_controller"


@dataclass
class Poll:
    """``while <flag>: asyncore.loop(timeout=T, count=1)`` serving the module's servers."""

    loop: cst.While
    timeout: Optional[cst.BaseExpression]
    alias: Optional[cst.If] = None  # ``if map is None: map = asyncore.socket_map`` (_threads)
    # The loop's own line where the body does other work too (``bot.poll()``, a sleep).
    call_line: Optional[cst.SimpleStatementLine] = None


@dataclass
class Plan:
    """Everything the rules rewrite, by node identity in ``wrapper.module``."""

    names: LegacyNames
    servers: List[ServerClass] = field(default_factory=list)
    instances: List[Instance] = field(default_factory=list)
    loops: List[cst.SimpleStatementLine] = field(default_factory=list)
    threads: List[cst.Call] = field(default_factory=list)
    # ids of loop threads made before the server they serve (rule startup): their target
    # reads the controller when the thread runs, as smtpd's loop read the map then
    late_threads: Set[int] = field(default_factory=set)
    # id of a polling loop -> the servers it served that nothing closes (rule thread):
    # stopped after the loop, where smtpd's stopped being served
    stops_after_poll: Dict[int, List[Instance]] = field(default_factory=dict)
    columns: Dict[int, int] = field(default_factory=dict)  # id(call) -> where it starts
    polls: List[Poll] = field(default_factory=list)
    closes: Dict[cst.CSTNode, Instance] = field(default_factory=dict)
    close_alls: List[cst.SimpleStatementLine] = field(default_factory=list)
    sockets: Dict[cst.Attribute, Instance] = field(default_factory=dict)
    # ``asyncore.socket_map.values()`` read right after the one server is made (_map_reads)
    map_reads: Dict[cst.Call, Instance] = field(default_factory=dict)
    # blockers found reading on as if the blocked server classes converted (make_plan)
    further: List[Report] = field(default_factory=list)
    channels: List[cst.ClassDef] = field(default_factory=list)
    channel_plans: Dict[str, ChannelPlan] = field(default_factory=dict)
    # empty smtpd.DebuggingServer subclasses by name: they become LegacyDebuggingHandler's
    debugging_classes: Dict[str, cst.ClassDef] = field(default_factory=dict)
    # the server classes an instance chooses among (``SERVERS[MODE](...)``, _choice)
    chosen: List[List[ServerClass]] = field(default_factory=list)
    # (server, Thread) classes that never initialise their smtpd base: it goes (_vestigial)
    unused_server_bases: List[cst.ClassDef] = field(default_factory=list)
    # server classes by name that call their DebuggingServer/PureProxy base's methods
    base_uses: Dict[str, BaseUse] = field(default_factory=dict)
    banner: Optional[cst.SimpleStatementLine] = None
    ident: Optional[str] = None
    silenced_debugstream: List[cst.SimpleStatementLine] = field(default_factory=list)
    # ``smtpd.DEBUGSTREAM = <stream>``: aiosmtpd's log goes there; ``<class>.debug = x`` goes
    debugstream_redirects: List[cst.SimpleStatementLine] = field(default_factory=list)
    debug_switches: List[cst.SimpleStatementLine] = field(default_factory=list)
    # ``smtpd.DATA_SIZE_DEFAULT`` and the like -> the module's own name for it (rule constants)
    constants: Dict[cst.Attribute, str] = field(default_factory=dict)
    dropped: List[cst.BaseStatement] = field(default_factory=list)  # made only for legacy calls
    # id(loop statement, Thread call or polling While) -> the servers of its block it serves
    served: Dict[int, List[Instance]] = field(default_factory=dict)
    # id(loop statement) of the loops a close() elsewhere ends (a stop() method, a signal handler)
    ending_loops: Set[int] = field(default_factory=set)
    # id(loop, Thread call, close() call) -> the controller expression in reach there (_serving)
    controller_at: Dict[int, str] = field(default_factory=dict)
    imports: Set[Tuple[str, Optional[str]]] = field(default_factory=set)
    reports: List[Report] = field(default_factory=list)
    convert: bool = False

    @property
    def makes_controllers(self) -> bool:
        """Servers become Controllers here: made in place, or bound by a Thread subclass."""
        return bool(self.instances or self.thread_servers)

    @property
    def needs_bound_controller(self) -> bool:
        return any(i.bound for i in self.instances) or bool(self.thread_servers)

    @property
    def thread_servers(self) -> List[ServerClass]:
        return [s for s in self.servers if s.thread is not None]

    @property
    def attached_channels(self) -> List[ChannelPlan]:
        """The channel classes converting servers use, each once."""
        return list({id(s.channel): s.channel for s in self.servers if s.channel}.values())

    @property
    def makes_shared_executor(self) -> bool:
        """Rule handler writes PROCESS_MESSAGE_EXECUTOR: servers on the shared map."""
        return any(not server.own_executor for server in self.servers)

    @property
    def needs_debugging_handler(self) -> bool:
        return any(i.server is None and not i.not_implemented for i in self.instances)

    @property
    def debugging_handler_closes(self) -> bool:
        """LegacyDebuggingHandler gets a close() stopping its controller: code closes one."""
        return any(i.server is None and i.closes_by_controller for i in self.instances)

    @property
    def needs_not_implemented_handler(self) -> bool:
        return any(i.not_implemented for i in self.instances)

    @property
    def converted_channels(self) -> List[cst.ClassDef]:
        """Channel classes whose policy became hooks (when the module converts)."""
        used = {id(s.channel.node) for s in self.servers if s.channel is not None}
        return [c for c in self.channels if id(c) in used] if self.convert else []


def kept_for_code_elsewhere(instance: Instance, controller: str) -> str:
    """What code that reaches a converted server from elsewhere still finds on it."""
    target = instance.target
    if instance.closes_itself:
        return (
            f"the converted handler keeps {target}.socket (its controller's) and its own "
            f"close(), which stops {controller}, but no other dispatcher attribute"
        )
    return (
        f"the converted handler keeps {target}.socket (its controller's), but has no close() "
        f"or other dispatcher attribute; code elsewhere that closes it must call "
        f"{controller}.stop() instead"
    )


def adds_nothing(node: cst.ClassDef) -> bool:
    """A class whose body is only ``pass``, ``...`` or a docstring: its base under a new name."""
    for line in block_body(node.body):
        if not isinstance(line, cst.SimpleStatementLine):
            return False
        for small in line.body:
            if isinstance(small, cst.Pass):
                continue
            value = small.value if isinstance(small, cst.Expr) else None
            if not isinstance(value, (cst.Ellipsis, cst.SimpleString, cst.ConcatenatedString)):
                return False
    return not node.keywords and len(node.bases) == 1


def literal_bool(node: Optional[cst.BaseExpression]) -> Optional[bool]:
    """True/False for the literal names, False when absent, None otherwise."""
    if node is None:
        return False
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def bind_server_args(args: Sequence[cst.Arg]) -> Optional[Dict[str, cst.BaseExpression]]:
    """Map call arguments to SMTPServer's parameters; None if that cannot be done statically."""
    bound: Dict[str, cst.BaseExpression] = {}
    for position, arg in enumerate(args):
        if arg.star:
            return None
        if arg.keyword is None:
            if position >= len(SERVER_PARAMS):
                return None
            bound[SERVER_PARAMS[position]] = arg.value
        elif arg.keyword.value in SERVER_PARAMS:
            bound[arg.keyword.value] = arg.value
        else:
            return None
    return bound if "localaddr" in bound else None


def server_args(
    call: cst.Call, server: Optional[ServerClass]
) -> Optional[Dict[str, cst.BaseExpression]]:
    """What smtpd.SMTPServer received from ``call`` (nothing read where __init__ has its own)."""
    if server is not None and server.forwarding is not None:
        return server.forwarding.bind(call.args)
    if server is None or server.init is None:
        return bind_server_args(call.args)
    return {}


def private_map(args: Dict[str, cst.BaseExpression]) -> bool:
    """``map=`` other than ``None`` (asyncore's shared map, the default)."""
    return "map" in args and dotted_name(args["map"]) != "None"


def map_parameter(init: cst.FunctionDef, value: cst.BaseExpression) -> Optional[str]:
    """``map=<param>`` (its name) or ``map=self.<attr>`` in the base call of ``__init__``."""
    name = dotted_name(value)
    params = [p.name.value for p in init.params.params]
    if name is not None and name.count(".") == 1 and params[:1] == ["self"]:
        return name if name.startswith("self.") else None
    return name if name in params[1:] else None


def instance_map(call: cst.Call, server: Optional[ServerClass]) -> Optional[cst.BaseExpression]:
    """What an instance passes as the map parameter of its class's ``__init__``."""
    init = server.init if server is not None else None
    param = server.map_param if server is not None else None
    if init is None or param is None:
        return None
    if "." in param:  # ``self.<attr>``: the base call's own value
        return server.base_args.get("map") if server is not None else None
    params = [p.name.value for p in init.params.params[1:]]
    for position, arg in enumerate(call.args):
        if arg.star:
            return arg.value  # not read statically: the map check blocks it
        if (arg.keyword is None and position < len(params) and params[position] == param) or (
            arg.keyword is not None and arg.keyword.value == param
        ):
            return arg.value
    default = next((p.default for p in init.params.params if p.name.value == param), None)
    return default


def fixed_port(localaddr: Optional[cst.BaseExpression]) -> bool:
    """True for a ``(host, port)`` literal with a non-zero integer port."""
    if isinstance(localaddr, cst.Tuple) and len(localaddr.elements) == 2:
        port = localaddr.elements[1].value
        return isinstance(port, cst.Integer) and port.evaluated_value != 0
    return False


def base_init_call(statement: cst.CSTNode) -> Optional[cst.Call]:
    """The call of ``Base.__init__(...)`` / ``super().__init__(...)`` statement, if it is one."""
    return small_call(statement) if isinstance(statement, cst.BaseStatement) else None

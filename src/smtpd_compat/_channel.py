"""The legacy SMTP dialogue: Python 3.11's ``smtpd.SMTPChannel``.

This module knows only the legacy world. The channel is the stdlib state machine
(adapted from CPython 3.11 ``Lib/smtpd.py``, PSF licence) so that replies stay
byte-identical and subclasses hook in exactly where they used to: every byte goes
through ``collect_incoming_data``/``found_terminator`` as ``asynchat`` delivered it.
It is an ``asynchat.async_chat`` (``_chat``), in one of two modes:

* *bridged* (built by the engine on a ``_bridge.LegacyConnection``): no socket and
  no asyncore map entry; input arrives through ``_feed()``, output leaves through
  async_chat's own ``push``/``send`` into the connection, which is also the
  channel's engine (``self._engine``: delivery, STARTTLS and AUTH policy);
* *direct* (built on a socket object, as unit tests of custom channels do): plain
  async_chat, as legacy: it lives in its map, reads with ``recv`` in
  ``handle_read``, writes with ``send``, and :class:`DirectEngine` calls
  ``process_message`` at once.
"""

from __future__ import annotations

import collections
import errno
import functools
import logging
import socket
import sys
import threading
import warnings
from email._header_value_parser import get_addr_spec, get_angle_addr
from typing import Any, Callable, DefaultDict, Deque, Dict, List, Optional, Tuple, Union

from ._auth import AuthExchange
from ._chat import ChatBase

DATA_SIZE_DEFAULT = 33554432
NEWLINE = "\n"
log = logging.getLogger("smtpd_compat")

Terminator = Union[bytes, int, None]
MessageArgs = Tuple[Tuple[Any, ...], Dict[str, Any]]


def package() -> Any:
    """The public module, looked up at run time: tests and programs replace its
    ``DEBUGSTREAM`` and ``__version__`` after import, as they did with ``smtpd``."""
    return sys.modules["smtpd_compat"]


def debug_print(*args: object) -> None:
    """``print(..., file=DEBUGSTREAM)`` with the stream looked up at each write."""
    public = sys.modules["smtpd_compat"]  # (package(), inline: several calls a message)
    stream = public.DEBUGSTREAM
    if not isinstance(stream, public.Devnull):
        print(*args, file=stream)
        flush = getattr(stream, "flush", None)
        if flush is not None:  # a pipe on 3.8 buffers stderr: show lines as they come
            flush()


def debugging() -> bool:
    """False while ``DEBUGSTREAM`` is the default sink: skip building debug text."""
    public = sys.modules["smtpd_compat"]  # (package(), inline)
    return not isinstance(public.DEBUGSTREAM, public.Devnull)


def incomplete_utf8_tail(data: bytes) -> int:
    """Bytes at the end of ``data`` that start a UTF-8 character not yet complete.

    With ``decode_data`` each piece is decoded on its own; legacy broke when a read
    split a character, we hold the start of it back for the next read."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # not a continuation byte: the character's lead
            width = (
                2
                if byte >> 5 == 0b110
                else 3
                if byte >> 4 == 0b1110
                else 4
                if byte >> 3 == 0b11110
                else 1
            )
            return back if width > back else 0
    return 0


def check_encoding_options(enable_SMTPUTF8: bool, decode_data: bool) -> None:
    """Legacy refused both at once, in the server and in the channel alike."""
    if enable_SMTPUTF8 and decode_data:
        raise ValueError("decode_data and enable_SMTPUTF8 cannot be set to True at the same time")


def find_prefix_at_end(haystack: bytes, needle: bytes) -> int:
    """asynchat's helper: length of the longest suffix of haystack that starts needle."""
    n = len(needle) - 1
    while n and not haystack.endswith(needle[:n]):
        n -= 1
    return n


def _mangled_alias(old: str, name: str) -> property:
    """A ``_SMTPChannel__<old>`` property: 3.11 kept these aliases, with a warning."""

    def get(self: Any) -> Any:
        warnings.warn(
            "Access to __%s attribute on SMTPChannel is deprecated, use '%s' instead" % (old, name),
            DeprecationWarning,
            2,
        )
        return getattr(self, name)

    def set_(self: Any, value: Any) -> None:
        warnings.warn(
            "Setting __%s attribute on SMTPChannel is deprecated, set '%s' instead" % (old, name),
            DeprecationWarning,
            2,
        )
        setattr(self, name, value)

    return property(get, set_)


class MadeOnFirstUse:
    """An instance attribute made by ``factory`` when first read, then stored on
    the instance (a non-data descriptor: the instance's own value wins, as for
    ``functools.cached_property``, without its lock).

    A class-level ``__getattr__`` would do the same, but it takes every attribute
    read of every instance off CPython's specialised fast path (through
    ``slot_tp_getattr_hook``): for a channel, some 50,000 instructions a message."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.factory()
        return value


class OutputQueueOnFirstUse:
    """async_chat's ``producer_fifo``, made on first use and kept by the
    channel's engine (``output_queue``, None until then), where the dialogue
    looks to know whether output is queued without making the queue.

    Not in the channel's own attributes: 30 of them at most keep CPython's
    key-sharing (idle memory, bench/), and reading its ``__dict__`` would
    materialise the dictionary, which stops CPython 3.11 specialising method
    calls on it."""

    def __get__(self, channel: Any, owner: Optional[type] = None) -> Any:
        if channel is None:
            return self
        holder = getattr(channel, "_engine", channel)
        fifo = getattr(holder, "output_queue", None)
        if fifo is None:
            fifo = collections.deque()
            self.__set__(channel, fifo)
        return fifo

    def __set__(self, channel: Any, value: Any) -> None:
        getattr(channel, "_engine", channel).output_queue = value


_fqdn: List[str] = []
_fqdn_lock = threading.Lock()


def local_fqdn() -> str:
    """The banner's host name: legacy called ``socket.getfqdn()`` per channel.

    A slow resolver would stall the event loop, so the answer is kept for the
    process, computed the first time (call this off the loop to warm it). A
    program or test that replaced ``getfqdn`` (on ``socket`` or on the package's
    ``socket``, as CPython's suites do) is honoured: its function is called."""
    getfqdn: Callable[[], str] = getattr(package(), "socket", socket).getfqdn
    if not is_stdlib_getfqdn(getfqdn):
        return getfqdn()
    if not _fqdn:
        with _fqdn_lock:
            if not _fqdn:
                _fqdn.append(getfqdn())
    return _fqdn[0]


def is_stdlib_getfqdn(function: Any) -> bool:
    """The socket module's own ``getfqdn`` (even if replaced before we were imported)."""
    return (
        getattr(function, "__module__", None) == "socket"
        and getattr(function, "__qualname__", None) == "getfqdn"
    )


class DirectEngine:
    """The engine of a channel built on a plain socket: legacy's, with no policy.

    No event loop serves it: ``process_message`` runs inside ``found_terminator``
    (its exceptions propagate out of ``handle_read``), and STARTTLS and AUTH stay
    unknown commands, as in the stdlib."""

    output_queue: Optional[Deque[Any]] = None  # the channel's producer_fifo

    suspended = False
    closing = False
    in_job = False

    def __init__(self) -> None:
        self.outgoing: List[bytes] = []  # replies go straight to the socket

    def deliver(self, channel: SMTPChannel, message: MessageArgs) -> None:
        from ._bridge import call_process_message  # _bridge imports this module

        channel._message_done(call_process_message(channel.smtp_server, *message))

    def refuse(self, command: str, channel: SMTPChannel) -> Optional[str]:
        return None

    def advertise_extensions_since(self, mark: int) -> None:
        pass

    def starttls_available(self) -> bool:
        return False

    def start_tls(self, channel: SMTPChannel) -> None:
        raise RuntimeError("STARTTLS needs a channel served by smtpd_compat's engine")

    def auth_configured(self) -> bool:
        return False

    def auth_allowed_now(self) -> bool:
        return False

    def authenticate(self, mechanism: str, credentials: Any) -> bool:
        return False

    def defer(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        then(work())


class SMTPChannel(ChatBase, AuthExchange):  # type: ignore[misc]
    """One SMTP session, driven line by line exactly like the 3.11 channel."""

    COMMAND = 0
    DATA = 1

    command_size_limit = 512
    command_size_limits: DefaultDict[str, int] = collections.defaultdict(
        lambda x=command_size_limit: x  # type: ignore[misc]
    )

    # asynchat's ``ac_in_buffer_size`` (inherited): a direct channel's read size;
    # a bridged channel's reads are sized by the protocol (``_bridge.READ_SIZE``).

    _direct = False  # built on a socket object (set in __init__)
    _fileno: Optional[int] = None  # asyncore's key in the map: none while bridged
    _skipping_body = False  # a failed message's body is being discarded

    # async_chat's output queue and input list, made on first use (a bridged
    # channel sends at once and seldom needs either; idle memory, bench/).
    producer_fifo = OutputQueueOnFirstUse()
    incoming = MadeOnFirstUse(list)

    _SMTPChannel__server = _mangled_alias("server", "smtp_server")
    _SMTPChannel__line = _mangled_alias("line", "received_lines")
    _SMTPChannel__state = _mangled_alias("state", "smtp_state")
    _SMTPChannel__greeting = _mangled_alias("greeting", "seen_greeting")
    _SMTPChannel__mailfrom = _mangled_alias("mailfrom", "mailfrom")
    _SMTPChannel__rcpttos = _mangled_alias("rcpttos", "rcpttos")
    _SMTPChannel__data = _mangled_alias("data", "received_data")
    _SMTPChannel__fqdn = _mangled_alias("fqdn", "fqdn")
    _SMTPChannel__peer = _mangled_alias("peer", "peer")
    _SMTPChannel__conn = _mangled_alias("conn", "conn")
    _SMTPChannel__addr = _mangled_alias("addr", "addr")

    @property
    def max_command_size_limit(self) -> int:
        try:
            return max(self.command_size_limits.values())
        except ValueError:
            return self.command_size_limit

    def __init__(
        self,
        server: Any,
        conn: Any,
        addr: Any,
        data_size_limit: int = DATA_SIZE_DEFAULT,
        map: Optional[Dict[int, Any]] = None,
        enable_SMTPUTF8: bool = False,
        decode_data: bool = False,
    ) -> None:
        attach = getattr(conn, "attach_channel", None)
        self._engine: Any
        if attach is None:
            self._direct = True
            self._engine = DirectEngine()
            ChatBase.__init__(self, conn, map=map)
        else:
            self._engine = conn
            self._bridge_to(conn, map)
        self.smtp_server = server
        self.conn = conn
        self.addr = addr
        self.data_size_limit = data_size_limit
        self.enable_SMTPUTF8 = enable_SMTPUTF8
        self._decode_data = decode_data
        check_encoding_options(enable_SMTPUTF8, decode_data)
        self._emptystring: Any
        self._linesep: Any
        self._dotsep: Any
        self._newline: Any
        if decode_data:
            self._emptystring, self._linesep, self._dotsep = "", "\r\n", "."
            self._newline = NEWLINE
        else:
            self._emptystring, self._linesep, self._dotsep = b"", b"\r\n", ord(b".")
            self._newline = b"\n"
        self._set_rset_state()
        self.seen_greeting = ""
        self.extended_smtp = False
        self.command_size_limits.clear()
        self.fqdn = local_fqdn()
        if attach is not None:
            attach(self)
        try:
            self.peer = conn.getpeername()
        except OSError as err:
            # The client may be gone before we ask (legacy: the same race).
            self.close()
            if err.errno != errno.ENOTCONN:
                raise
            return
        debug_print("Peer:", repr(self.peer))
        self.push("220 %s %s" % (self.fqdn, package().__version__))

    def _bridge_to(self, conn: Any, map: Optional[Dict[int, Any]]) -> None:
        """async_chat's state without its socket set-up: the engine's event loop owns
        the socket, so the channel has no fd (``_fileno`` stays None) and joins no
        asyncore map. async_chat's ``send`` and ``close`` reach ``conn`` through
        ``self.socket``; ``producer_fifo`` and ``incoming`` are made on first use.

        Memory: an idle connection holds its channel, so the instance keeps at most
        30 attributes (CPython then shares their keys between instances)."""
        self.ac_in_buffer = b""
        self._map = map if map is not None else {}
        self.socket = conn
        self.connected = True

    # -- state --------------------------------------------------------------

    def _set_post_data_state(self) -> None:
        """Reset state variables to their post-DATA state."""
        self.smtp_state = self.COMMAND
        self._message_received = False
        self.mailfrom: Optional[str] = None
        self.rcpttos: List[str] = []
        self.require_SMTPUTF8 = False
        self.num_bytes = 0
        self.set_terminator(b"\r\n")

    def _set_rset_state(self) -> None:
        """Reset all state variables except the greeting."""
        self._set_post_data_state()
        self.received_data: Any = ""
        self.received_lines: List[Any] = []

    # -- asynchat surface ----------------------------------------------------
    # set_terminator, get_terminator, push_with_producer, discard_buffers, send,
    # close and handle_close are async_chat's own, in both modes.

    @property
    def _inbuf(self) -> bytes:
        """Input not yet split (async_chat's ``ac_in_buffer``); the engine's name."""
        buffered: bytes = self.ac_in_buffer
        return buffered

    @_inbuf.setter
    def _inbuf(self, data: bytes) -> None:
        self.ac_in_buffer = data

    def push(self, msg: str) -> None:
        """Send ``msg`` plus CRLF verbatim (multi-line strings included).

        ``asynchat.async_chat.push(self, data)``, as legacy. A bridged channel with
        nothing queued hands a one-chunk reply straight to ``send`` (what async_chat's
        push and ``initiate_send`` would do, without the queue)."""
        data = bytes(msg + "\r\n", "utf-8" if self.require_SMTPUTF8 else "ascii")
        if (
            not self._direct
            and self.connected
            and len(data) <= self.ac_out_buffer_size
            and not self._engine.output_queue
            and type(self).initiate_send is _initiate_send
        ):
            sent = self.send(data)
            if sent == len(data):
                return
            data = data[sent:]  # a send override took less: queue the rest
        ChatBase.push(self, data)

    def initiate_send(self) -> None:
        """Bridged: the engine's connection never blocks, so send everything queued
        now (async_chat sends one chunk per write event, and no asyncore loop
        polls this channel). Direct: async_chat's."""
        if self._direct:
            ChatBase.initiate_send(self)
            return
        fifo, size = self.producer_fifo, self.ac_out_buffer_size
        while fifo and self.connected:
            first = fifo[0]
            if not first:
                del fifo[0]
                if first is None:  # close_when_done() was here
                    self.handle_close()
                    return
                continue
            try:
                data = first[:size]
            except TypeError:  # a producer
                data = first.more()
                if data:
                    fifo.appendleft(data)
                else:
                    del fifo[0]
                continue
            if isinstance(data, str) and self.use_encoding:
                data = bytes(data, self.encoding)
            try:
                sent = self.send(data)
            except OSError:
                self.handle_error()
                return
            if not sent:
                return
            if sent < len(data) or size < len(first):
                fifo[0] = first[sent:]
            else:
                del fifo[0]

    def close_when_done(self) -> None:
        """Close once everything pushed so far is sent (bridged: at once, since the
        engine's connection takes all output now; it closes after writing it)."""
        ChatBase.close_when_done(self)
        if not self._direct:
            self.initiate_send()

    def readable(self) -> bool:
        """A bridged channel is never polled: the engine's event loop reads for it."""
        return self._direct and bool(ChatBase.readable(self))

    def writable(self) -> bool:
        return self._direct and bool(ChatBase.writable(self))

    def handle_error(self) -> None:
        """Called inside the ``except`` block of a failing hook (legacy contract).

        Direct: asyncore's, as legacy (report, close). Bridged: legacy asyncore
        dropped the connection; we log, answer a temporary 451 so the sender
        retries, reset the transaction and keep serving. A failure while the body
        is still arriving answers only after its end, so the rest of the body is
        never read as commands."""
        if self._direct:
            ChatBase.handle_error(self)
            return
        log.exception("error in SMTP channel for %r", getattr(self, "peer", None))
        if self.smtp_state == self.DATA and not self._message_received:
            self._skipping_body = True
            self.received_lines = []
            return
        self._set_rset_state()
        self.push("451 Requested action aborted: error in processing")

    def _skip_body(self) -> bool:
        """Discard input up to the end of the failed message, then answer 451."""
        end, buf = b"\r\n.\r\n", self.ac_in_buffer
        index = buf.find(end)
        if index == -1:
            self.ac_in_buffer = buf[len(buf) - find_prefix_at_end(buf, end) :]
            return False
        self.ac_in_buffer = buf[index + len(end) :]
        self._skipping_body = False
        self._set_rset_state()
        self.push("451 Requested action aborted: error in processing")
        return True

    def _feed(self, data: bytes) -> None:
        """``async_chat.handle_read`` for a bridged channel: split input on the
        terminator.

        Stops early when the engine suspends the dialogue (a message handed to
        ``process_message`` elsewhere); the rest waits in ``ac_in_buffer``."""
        self.ac_in_buffer += data
        engine = self._engine
        try:
            while self.ac_in_buffer and not engine.suspended and not engine.closing:
                step = self._skip_body if self._skipping_body else self._split_once
                more = step()
                if engine.output_queue:  # async_chat.close_when_done() unbound
                    self.initiate_send()
                if not more:
                    break
        finally:
            if engine.output_queue:
                self.initiate_send()

    def _split_once(self) -> bool:
        """Deliver input up to the next terminator; False when more input is needed."""
        buf, term = self.ac_in_buffer, self.get_terminator()
        if not term:
            self.ac_in_buffer = b""
            self.collect_incoming_data(buf)
            return True
        if isinstance(term, int):
            if len(buf) < term:
                self.ac_in_buffer, self.terminator = b"", term - len(buf)
                self.collect_incoming_data(buf)
                return True
            self.ac_in_buffer, self.terminator = buf[term:], 0
            self.collect_incoming_data(buf[:term])
            self.found_terminator()
            return True
        index = buf.find(term)
        if index != -1:
            self.ac_in_buffer = buf[index + len(term) :]
            self._message_received = self.smtp_state == self.DATA  # the body is complete
            if index > 0:
                self.collect_incoming_data(buf[:index])
            self.found_terminator()
            return True
        keep = find_prefix_at_end(buf, term)
        if self._decode_data:
            keep = max(keep, incomplete_utf8_tail(buf))
        if keep == len(buf):
            return False
        self.ac_in_buffer = buf[len(buf) - keep :] if keep else b""
        self.collect_incoming_data(buf[: len(buf) - keep])
        return not keep

    # -- the legacy state machine (3.11, unchanged but for marked fixes) -----

    def collect_incoming_data(self, data: bytes) -> None:
        limit = None
        if self.smtp_state == self.COMMAND:
            limit = self.max_command_size_limit
        elif self.smtp_state == self.DATA:
            limit = self.data_size_limit
        if limit and self.num_bytes > limit:
            return
        elif limit:
            self.num_bytes += len(data)
            if self.num_bytes > limit and self.smtp_state == self.DATA:
                self.received_lines = []  # only 552 can follow: keep no body in memory
                return
        if self._decode_data:
            self.received_lines.append(str(data, "utf-8"))
        else:
            self.received_lines.append(data)

    def found_terminator(self) -> None:
        line = self._emptystring.join(self.received_lines)
        if debugging():
            debug_print("Data:", repr(self._loggable_line(line)))
        self.received_lines = []
        if self._auth_step is not None and self._take_auth_line(line):
            return
        if self.smtp_state == self.COMMAND:
            self._dispatch_command(line)
        elif self.smtp_state != self.DATA:
            self.push("451 Internal confusion")
            self.num_bytes = 0
        elif self.data_size_limit and self.num_bytes > self.data_size_limit:
            # Fix: legacy stayed in DATA state here and ate the next commands.
            self._set_post_data_state()
            self.push("552 Error: Too much mail data")
        else:
            body = [line]  # unstuff() gets the only reference: one copy alive at a time
            del line
            self.received_data = unstuff(body, self._linesep, self._newline)
            self._engine.deliver(self, self._message_arguments())

    def _dispatch_command(self, line: Any) -> None:
        sz, self.num_bytes = self.num_bytes, 0
        if not line:
            self.push("500 Error: bad syntax")
            return
        if not self._decode_data:
            line = str(line, "utf-8")
        i = line.find(" ")
        if i < 0:
            command, arg = line.upper(), None
        else:
            command, arg = line[:i].upper(), line[i + 1 :].strip()
        limits = self.command_size_limits
        max_sz = limits[command] if self.extended_smtp else self.command_size_limit
        if sz > max_sz:
            self.push("500 Error: line too long")
            return
        refusal = self._engine.refuse(command, self)  # STARTTLS/AUTH policy, command flood
        if refusal:
            self.push(refusal)
            return
        method = getattr(self, "smtp_" + command, None)
        if not method:
            self.push('500 Error: command "%s" not recognized' % command)
            return
        if command == "EHLO":
            mark = len(self._engine.outgoing)
            method(arg)
            self._engine.advertise_extensions_since(mark)
            return
        method(arg)

    def _message_arguments(self) -> MessageArgs:
        args = (self.peer, self.mailfrom, self.rcpttos, self.received_data)
        kwargs: Dict[str, Any] = {}
        if not self._decode_data:
            kwargs = {"mail_options": self.mail_options, "rcpt_options": self.rcpt_options}
        return args, kwargs

    def _message_done(self, status: Optional[str]) -> None:
        """What legacy did after ``process_message`` returned."""
        self._set_post_data_state()
        self.push(status or "250 OK")

    # SMTP and ESMTP commands

    def smtp_HELO(self, arg: Optional[str]) -> None:
        if not arg:
            self.push("501 Syntax: HELO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
            return
        self._set_rset_state()
        self.seen_greeting = arg
        self.push("250 %s" % self.fqdn)

    def smtp_EHLO(self, arg: Optional[str]) -> None:
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
            return
        self._set_rset_state()
        self.seen_greeting = arg
        self.extended_smtp = True
        self.push("250-%s" % self.fqdn)
        if self.data_size_limit:
            self.push("250-SIZE %s" % self.data_size_limit)
            self.command_size_limits["MAIL"] += 26
        if not self._decode_data:
            self.push("250-8BITMIME")
        if self.enable_SMTPUTF8:
            self.push("250-SMTPUTF8")
            self.command_size_limits["MAIL"] += 10
        self.push("250 HELP")

    def smtp_NOOP(self, arg: Optional[str]) -> None:
        if arg:
            self.push("501 Syntax: NOOP")
        else:
            self.push("250 OK")

    def smtp_QUIT(self, arg: Optional[str]) -> None:
        self.push("221 Bye")
        self.close_when_done()

    def smtp_STARTTLS(self, arg: Optional[str]) -> None:
        """Not in the stdlib: offered only when the server has a TLS context."""
        if not self._engine.starttls_available():
            self.push('500 Error: command "STARTTLS" not recognized')
        elif arg:
            self.push("501 Syntax: STARTTLS")
        else:
            self._engine.start_tls(self)

    def _strip_command_keyword(self, keyword: str, arg: str) -> str:
        keylen = len(keyword)
        if arg[:keylen].upper() == keyword:
            return arg[keylen:].strip()
        return ""

    def _getaddr(self, arg: str) -> Tuple[Any, Any]:
        return getaddr(arg)

    def _getparams(self, params: List[str]) -> Optional[Dict[str, Union[str, bool]]]:
        result: Dict[str, Union[str, bool]] = {}
        for param in params:
            param, eq, value = param.partition("=")
            if not param.isalnum() or eq and not value:
                return None
            result[param] = value if eq else True
        return result

    def smtp_HELP(self, arg: Optional[str]) -> None:
        if not arg:
            self.push("250 Supported commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY")
            return
        topic = arg.upper()
        if topic in ("MAIL", "RCPT"):
            syntax = HELP_SYNTAX[topic]
            self.push(syntax + (" [SP <mail-parameters>]" if self.extended_smtp else ""))
        elif topic in HELP_SYNTAX:
            self.push(HELP_SYNTAX[topic])
        else:
            self.push("501 Supported commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY")

    def smtp_VRFY(self, arg: Optional[str]) -> None:
        if arg:
            address, params = self._getaddr(arg)
            if address:
                self.push("252 Cannot VRFY user, but will accept message and attempt delivery")
            else:
                self.push("502 Could not VRFY %s" % arg)
        else:
            self.push("501 Syntax: VRFY <address>")

    def smtp_MAIL(self, arg: Optional[str]) -> None:
        if not self.seen_greeting:
            self.push("503 Error: send HELO first")
            return
        debug_print("===> MAIL", arg)
        syntaxerr = "501 Syntax: MAIL FROM: <address>"
        if self.extended_smtp:
            syntaxerr += " [SP <mail-parameters>]"
        if arg is None:
            self.push(syntaxerr)
            return
        arg = self._strip_command_keyword("FROM:", arg)
        address, params = self._getaddr(arg)
        if not address or (not self.extended_smtp and params):
            self.push(syntaxerr)
            return
        if self.mailfrom:
            self.push("503 Error: nested MAIL command")
            return
        self.mail_options = params.upper().split()
        error = self._check_mail_params(self._getparams(self.mail_options), syntaxerr)
        if error:
            self.push(error)
            return
        self.mailfrom = address
        debug_print("sender:", self.mailfrom)
        self.push("250 OK")

    def _check_mail_params(
        self, params: Optional[Dict[str, Union[str, bool]]], syntaxerr: str
    ) -> Optional[str]:
        """Legacy MAIL parameter checks, in legacy order; the error reply or None."""
        if params is None:
            return syntaxerr
        if not self._decode_data and params.pop("BODY", "7BIT") not in ("7BIT", "8BITMIME"):
            return "501 Error: BODY can only be one of 7BIT, 8BITMIME"
        if self.enable_SMTPUTF8:
            smtputf8 = params.pop("SMTPUTF8", False)
            if smtputf8 is True:
                self.require_SMTPUTF8 = True
            elif smtputf8 is not False:
                return "501 Error: SMTPUTF8 takes no arguments"
        size = params.pop("SIZE", None)
        if size:
            if not isinstance(size, str) or not size.isdigit():
                return syntaxerr
            if self.data_size_limit and int(size) > self.data_size_limit:
                return "552 Error: message size exceeds fixed maximum message size"
        if params:
            return "555 MAIL FROM parameters not recognized or not implemented"
        return None

    def smtp_RCPT(self, arg: Optional[str]) -> None:
        if not self.seen_greeting:
            self.push("503 Error: send HELO first")
            return
        debug_print("===> RCPT", arg)
        if not self.mailfrom:
            self.push("503 Error: need MAIL command")
            return
        syntaxerr = "501 Syntax: RCPT TO: <address>"
        if self.extended_smtp:
            syntaxerr += " [SP <mail-parameters>]"
        if arg is None:
            self.push(syntaxerr)
            return
        arg = self._strip_command_keyword("TO:", arg)
        address, params = self._getaddr(arg)
        if not address or (not self.extended_smtp and params):
            self.push(syntaxerr)
            return
        self.rcpt_options = params.upper().split()
        parsed = self._getparams(self.rcpt_options)
        if parsed is None:
            self.push(syntaxerr)
            return
        if parsed:
            self.push("555 RCPT TO parameters not recognized or not implemented")
            return
        self.rcpttos.append(address)
        debug_print("recips:", self.rcpttos)
        self.push("250 OK")

    def smtp_RSET(self, arg: Optional[str]) -> None:
        if arg:
            self.push("501 Syntax: RSET")
            return
        self._set_rset_state()
        self.push("250 OK")

    def smtp_DATA(self, arg: Optional[str]) -> None:
        if not self.seen_greeting:
            self.push("503 Error: send HELO first")
            return
        if not self.rcpttos:
            self.push("503 Error: need RCPT command")
            return
        if arg:
            self.push("501 Syntax: DATA")
            return
        self.smtp_state = self.DATA
        self.set_terminator(b"\r\n.\r\n")
        self.push("354 End data with <CR><LF>.<CR><LF>")

    def smtp_EXPN(self, arg: Optional[str]) -> None:
        self.push("502 EXPN not implemented")


_initiate_send = SMTPChannel.initiate_send


def legacy_getaddr(arg: str) -> Tuple[Any, Any]:
    """3.11's ``SMTPChannel._getaddr``, unchanged (email's RFC 5322 parser)."""
    if not arg:
        return "", ""
    address: Any
    if arg.lstrip().startswith("<"):
        address, rest = get_angle_addr(arg)
    else:
        address, rest = get_addr_spec(arg)
    if not address:
        return address, rest
    return address.addr_spec, rest


@functools.lru_cache(maxsize=1024)
def _parsed_address(arg: str) -> Optional[Tuple[str, str]]:
    """``legacy_getaddr(arg)`` when it found an address (two strings), else None."""
    address, rest = legacy_getaddr(arg)
    return (address, rest) if address else None


def getaddr(arg: str) -> Tuple[Any, Any]:
    """``legacy_getaddr``, remembered: the parser costs ~50 us per address and the
    same senders and recipients come back. Equal to legacy by construction; a
    refusal (an empty token) is parsed afresh, so callers get their own object, and
    parser exceptions are never cached."""
    if not arg:
        return "", ""
    return _parsed_address(arg) or legacy_getaddr(arg)


HELP_SYNTAX = {
    "EHLO": "250 Syntax: EHLO hostname",
    "HELO": "250 Syntax: HELO hostname",
    "MAIL": "250 Syntax: MAIL FROM: <address>",
    "RCPT": "250 Syntax: RCPT TO: <address>",
    "DATA": "250 Syntax: DATA",
    "RSET": "250 Syntax: RSET",
    "NOOP": "250 Syntax: NOOP",
    "QUIT": "250 Syntax: QUIT",
    "VRFY": "250 Syntax: VRFY <address>",
}


def unstuff(holder: List[Any], linesep: Any, newline: Any) -> Any:
    """Legacy data: split on CRLF, drop one leading dot per line, join with LF.

    Same result as legacy's loop over the lines: CRLF-dot matches cannot overlap,
    so replacing them removes exactly one dot at the start of every line. The body
    comes in a list we empty, so each step frees the previous copy (peak: 2x)."""
    body = holder.pop()
    dot = "." if isinstance(body, str) else b"."
    if body.startswith(dot):
        body = body[1:]
    body = body.replace(linesep + dot, linesep)
    return body.replace(linesep, newline)

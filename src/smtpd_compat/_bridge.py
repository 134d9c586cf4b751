"""The one module that knows both worlds: legacy channels served by aiosmtpd.

Design (and why)
----------------
Legacy subclasses hook in at every level of the old dialogue (``smtp_<VERB>``,
``found_terminator``, ``collect_incoming_data``, ``push``, ``handle_accepted``), so
the dialogue engine *is* the legacy ``SMTPChannel`` state machine (``_channel``), fed
with the bytes ``asynchat`` would have fed it. aiosmtpd serves the connection:
:class:`LegacySMTP` subclasses ``aiosmtpd.smtp.SMTP`` for its session and envelope
objects (what authenticators receive) and its PROXY protocol parser. Input goes from
``buffer_updated`` straight into the channel (no StreamReader and no task wake-up
per read; see bench/README.md), and replies pushed meanwhile leave in one write.

Where code runs (the legacy contract: user code runs where the program's loop runs)
----------------------------------------------------------------------------------
* The server's listening socket is in the program's socket map, as before: the
  program's ``asyncore.loop()`` accepts. While no loop runs, clients wait in the
  listen backlog and nothing reaches user code.
* Each accepted socket is served on the shared event loop, which the program's
  loop thread itself runs (``_threads.EventLoopThread``; a helper thread takes
  over while that thread is busy in user code). When the channel is the stock
  :class:`SMTPChannel` and the accept hooks are stock (*inline*), the dialogue
  runs in the loop; ``process_message`` (and AUTH checks) are jobs for the
  program's loop thread, run right after the loop iteration that queued them,
  the session pausing (input buffered) until they return, so a slow
  ``process_message`` never stalls other clients' dialogues.
* Otherwise (*user channel*) every feed of input is a job on the program's loop
  thread, as legacy ran it.
* ``concurrency=N`` sends the same jobs to N threads of a pool instead, giving up
  thread affinity for throughput.

A session's life is the state machine of ``_lifecycle`` (states and transitions as
data); :meth:`LegacySMTP._fire` is the only place its state changes.

Pinned aiosmtpd internals (1.4.6, the version the tests cover): ``_handle_client``
(started by aiosmtpd's ``connection_made``), ``_reader`` (the PROXY header and what
follows it), ``_timeout_cb``/``_reset_timeout``/``_timeout_handle`` (aiosmtpd arms
and cancels the idle timer); ``__dir__`` keeps aiosmtpd's ``__init__`` from building
command tables we never use. STARTTLS uses asyncio's public ``loop.start_tls``.
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import logging
import socket
import ssl
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Set, Tuple, cast

from aiosmtpd.proxy_protocol import get_proxy
from aiosmtpd.smtp import SMTP as AioSMTP

from ._auth import MECHANISMS as AUTH_MECHANISMS
from ._auth import auth_succeeded
from ._channel import SMTPChannel
from ._lifecycle import IN_USER_CODE, READING, Event, Session, next_session_state
from ._threads import Done, EventLoopThread, Job, ends_program_loop, engine_loop_running_here

# The session states and events the engine reads, as module globals: reading an
# attribute of an Enum class goes through ``EnumType.__getattr__``'s slot on
# Python <= 3.11 (a few hundred instructions; several reads a message), a global
# is one specialised instruction.
ACCEPTING = Session.ACCEPTING
CLOSED = Session.CLOSED
DRAINING = Session.DRAINING
SWITCHING_TLS = Session.SWITCHING_TLS
ACCEPTED = Event.ACCEPTED
CLOSE = Event.CLOSE
HANDSHAKE_DONE = Event.HANDSHAKE_DONE
HANDSHAKE_FAILED = Event.HANDSHAKE_FAILED
JOB_DONE = Event.JOB_DONE
JOB_STARTED = Event.JOB_STARTED
LOST = Event.LOST
SHUTDOWN = Event.SHUTDOWN
STARTTLS = Event.STARTTLS
TIMEOUT = Event.TIMEOUT

log = logging.getLogger("smtpd_compat")
monotonic = time.monotonic

#: Commands that no policy (STARTTLS or AUTH required) refuses.
ALWAYS_ALLOWED = frozenset({"EHLO", "HELO", "NOOP", "QUIT", "RSET", "STARTTLS", "HELP"})
SHUTDOWN_REPLY = b"421 Service shutting down and closing transmission channel\r\n"
LISTEN_BACKLOG = 1024  # legacy used 5: bursts of connects hung without a banner
READ_SIZE = 262144
MAX_BUFFERED_INPUT = 1 << 20  # pause reading past this much unprocessed input
#: Guards every connection's output list: pushes may come from any thread, and a
#: list per connection is 0.5 KiB lighter than a deque (idle memory, bench/).
OUTPUT_LOCK = threading.Lock()
MessageArgs = Tuple[Tuple[Any, ...], Dict[str, Any]]


def log_transaction(peer: Any, args: Tuple[Any, ...], result: str, started: float) -> None:
    """One DEBUG line per message: who, how big, what we answered. Never the body.

    DEBUG, not INFO: legacy wrote nothing to the program's log; a program that
    wants these lines sets ``logging.getLogger("smtpd_compat").setLevel(logging.DEBUG)``."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    _, mailfrom, rcpttos, data = args[:4]
    log.debug(
        "%r from=<%s> rcpts=%d size=%d result=%s duration=%.3fs",
        peer,
        mailfrom,
        len(rcpttos),
        len(data),
        result[:3],
        time.monotonic() - started,
    )


_accepted_params: Dict[Any, Optional[Set[str]]] = {}


def call_process_message(server: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    """Call ``process_message`` with the keyword arguments it can take.

    The 4-argument form (the tutorials', and stdlib PureProxy's) raised TypeError
    on every message since 3.6; here it simply gets no keywords."""
    method = server.process_message
    if kwargs:
        accepted = _keyword_names(method)
        if accepted is not None:
            kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    return method(*args, **kwargs)


def _keyword_names(method: Callable[..., Any]) -> Optional[Set[str]]:
    """Names ``method`` accepts by keyword; None when it takes ``**kwargs``."""
    key = getattr(method, "__func__", method)
    if key not in _accepted_params:
        try:
            params = inspect.signature(method).parameters.values()
        except (TypeError, ValueError):
            _accepted_params[key] = None
        else:
            if any(p.kind is p.VAR_KEYWORD for p in params):
                _accepted_params[key] = None
            else:
                kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
                _accepted_params[key] = {p.name for p in params if p.kind in kinds}
    return _accepted_params[key]


def is_stock(obj: Any, name: str, stock: type) -> bool:
    """True when ``obj``'s ``name`` is the one ``stock`` defines (no user override)."""
    return getattr(type(obj), name, None) is getattr(stock, name, None)


class LegacyConnection:
    """What a legacy channel sees as its ``conn`` socket.

    ``getpeername``/``getsockname``/``fileno``/``family`` answer from the real
    socket; ``send`` queues output for the protocol to write; the other methods
    are the channel's ways to reach the engine."""

    def __init__(self, protocol: LegacySMTP, sock: Optional[socket.socket]) -> None:
        self._protocol = protocol
        self._sock = sock
        self._sockname = sock.getsockname() if sock else None
        self.channel: Optional[SMTPChannel] = None
        self.outgoing: List[bytes] = []  # appended by any thread, under OUTPUT_LOCK
        self.closing = False
        self.suspended = False
        self.pending: Optional[Tuple[Callable[[], Any], Callable[[Any], None]]] = None
        self.tls_requested = False
        self.pending_bytes = 0  # size of the message ``pending`` hands to user code
        self.in_job = False
        self.idle_commands = 0  # commands since the last message, for the flood limit
        self.output_queue: Optional[Deque[Any]] = None  # the channel's producer_fifo, once made

    # socket-like surface
    def getpeername(self) -> Any:
        peer = self._protocol.peer
        if peer is None:
            raise OSError(errno.ENOTCONN, "Transport endpoint is not connected")
        return peer

    def getsockname(self) -> Any:
        return self._sockname

    def fileno(self) -> int:
        return self._sock.fileno() if self._sock else -1

    @property
    def family(self) -> int:
        return self._sock.family if self._sock else socket.AF_INET

    def setblocking(self, flag: bool) -> None:
        """Legacy dispatchers call this on the accepted socket; the loop owns it."""

    def send(self, data: bytes) -> int:
        with OUTPUT_LOCK:
            self.outgoing.append(data)
        if not self.in_job:
            self._protocol.flush_threadsafe()
        return len(data)

    def close_when_done(self) -> None:
        self.closing = True
        if not self.in_job:
            self._protocol.flush_threadsafe()

    def close(self) -> None:
        self.close_when_done()

    def take_output(self) -> bytes:
        """Everything pushed so far. Under the lock: a push from another thread
        meanwhile is either taken now or left for the next flush, never lost."""
        with OUTPUT_LOCK:
            parts, self.outgoing = self.outgoing, []
        return parts[0] if len(parts) == 1 else b"".join(parts)

    # engine surface used by SMTPChannel
    def attach_channel(self, channel: SMTPChannel) -> None:
        self.channel = channel

    def defer(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """Run user code ``work`` off the loop, then ``then(result)`` in the dialogue.

        Already in user code (a user channel's job): run it now, as legacy did.
        Inline: pause the dialogue; the session hands ``work`` to the program's
        loop thread (or the pool) and then resumes."""
        if self._protocol.inline:
            self.suspended, self.pending = True, (work, then)
            return
        then(work())

    def deliver(self, channel: SMTPChannel, message: MessageArgs) -> None:
        """A complete message: ``process_message``, then the reply, then a log line."""
        server, args, peer, started = (
            channel.smtp_server,
            message[0],
            channel.peer,
            time.monotonic(),
        )

        def work() -> Any:
            try:
                return call_process_message(server, *message)
            except Exception:
                log_transaction(peer, args, "451", started)
                raise

        def then(status: Any) -> None:
            self.idle_commands = 0
            channel._message_done(status)
            log_transaction(peer, args, status or "250", started)

        self.pending_bytes = len(args[3])
        self.defer(work, then)

    def starttls_available(self) -> bool:
        return self._protocol.tls_context is not None and not self._protocol.tls_active

    def auth_configured(self) -> bool:
        return self._protocol.server._authenticator is not None

    def auth_allowed_now(self) -> bool:
        return self._protocol.tls_active or not self._protocol.server.auth_require_tls

    def authenticate(self, mechanism: str, credentials: Any) -> bool:
        """In user code's place (the program's thread): ask the authenticator."""
        protocol = self._protocol
        result = protocol.server._authenticator(
            protocol.server, protocol.session, protocol.envelope, mechanism, credentials
        )
        return auth_succeeded(result)

    def refuse(self, command: str, channel: SMTPChannel) -> Optional[str]:
        """The policy reply that refuses ``command`` before the channel sees it."""
        protocol, server = self._protocol, self._protocol.server
        if channel.mailfrom is None:
            self.idle_commands += 1
            if server.command_limit and self.idle_commands > server.command_limit:
                self.closing = True
                return "421 4.7.0 Too many commands"
        if command in ALWAYS_ALLOWED:
            return None
        if protocol.require_starttls and not protocol.tls_active:
            return "530 Must issue a STARTTLS command first"
        if server.auth_required and channel.authenticated_user is None and command != "AUTH":
            if self.auth_configured():
                return "530 5.7.0 Authentication required"
        return None

    def advertise_extensions_since(self, mark: int) -> None:
        """Make the EHLO reply pushed since ``mark`` offer STARTTLS and AUTH, even
        when a subclass wrote that reply itself: add lines, keep the user's lines."""
        extra = []
        if self.starttls_available():
            extra.append(b"STARTTLS")
        if self.auth_configured() and self.auth_allowed_now():
            extra.append(b"AUTH " + " ".join(AUTH_MECHANISMS).encode())
        if not extra:
            return
        with OUTPUT_LOCK:
            reply = b"".join(self.outgoing[mark:])
            if reply.startswith(b"250"):
                self.outgoing[mark:] = [ehlo_with_extensions(reply, extra)]

    def start_tls(self, channel: SMTPChannel) -> None:
        """Stop reading plaintext: whatever was pipelined after STARTTLS is dropped."""
        self.tls_requested = self.suspended = True


class NoHooks:
    """aiosmtpd's handler, for an ``SMTP`` whose hooks we never call: its
    ``__init__`` scans the handler for ``auth_*`` and ``handle_*`` members
    (``dir(None)`` costs a few microseconds per connection); this one has none."""

    def __dir__(self) -> List[str]:
        return []


NO_HOOKS = NoHooks()


class LegacySMTP(AioSMTP, asyncio.BufferedProtocol):
    """aiosmtpd's protocol with the legacy channel as its dialogue engine.

    :meth:`_pump` is the single driver of a session: input is fed to the channel
    straight from ``buffer_updated``, and the session waits only for user code (a
    job), for input, or for the TLS handshake; each job's completion pumps again."""

    #: Filled by ``get_buffer``; one per process is enough: ``buffer_updated`` copies
    #: the bytes out at once, and one thread at a time (the baton's) runs sessions.
    _read_buffer = memoryview(bytearray(READ_SIZE))

    def __dir__(self) -> List[str]:
        """aiosmtpd's ``__init__`` builds its command and AUTH tables from
        ``dir(self)`` (half a millisecond and a few hundred bytes per connection);
        the legacy channel dispatches commands and ``_auth`` runs AUTH, so neither
        table is used."""
        return []

    def __init__(self, server: Any, holder: EventLoopThread, **kwargs: Any) -> None:
        super().__init__(NO_HOOKS, **kwargs)
        self.server = server
        self.holder = holder  # our hold on the event loop (its helper thread), dropped at the end
        self.state = ACCEPTING
        self.conn: Optional[LegacyConnection] = None
        self.inline = False
        self._job: Optional[Job] = None
        self._input: List[bytes] = []
        self._input_size = 0
        self._reading_paused = False
        self._eof = False
        self._finalized = False
        self._queued_bytes = 0  # of message bodies this session has waiting for user code
        self._over_future: Optional[asyncio.Future[None]] = None  # made only if close() waits
        self._last_activity = 0.0

    # -- the life cycle --------------------------------------------------------

    def _fire(self, event: Event) -> None:
        """Move to the state ``event`` leads to; entering CLOSED ends the session."""
        before = self.state
        self.state = next_session_state(before, event)
        if self.state is CLOSED and before is not CLOSED:
            self._on_closed()

    def _on_closed(self) -> None:
        """Stop the timer, close the transport, and let ``close()`` stop waiting.
        User code already handed over still runs: legacy processed everything
        received before the client left (its result goes nowhere). The loop
        thread is released once the transport has really gone (:meth:`_finalize`)."""
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
        self.server._connections.discard(self)
        if self._over_future is not None and not self._over_future.done():
            self._over_future.set_result(None)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _finalize(self) -> None:
        """The transport is gone: drop our hold on the event loop (once)."""
        if not self._finalized:
            self._finalized = True
            self.holder.release()

    @property
    def peer(self) -> Any:
        return self.session.peer if self.session else None

    @property
    def open(self) -> bool:
        return self.state is not CLOSED and self.transport is not None

    @property
    def busy(self) -> bool:
        return self.state in IN_USER_CODE

    @property
    def tls_active(self) -> bool:
        return self.session is not None and self.session.ssl is not None

    # -- input ---------------------------------------------------------------

    def get_buffer(self, sizehint: int) -> memoryview:
        """One reusable buffer: the default ``recv(256 KiB)`` mapped memory per read."""
        return self._read_buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self._read_buffer[:nbytes].tobytes())

    def data_received(self, data: bytes) -> None:
        if self.state is ACCEPTING and self.conn is None:  # a PROXY header
            super().data_received(data)
            return
        if self.state is CLOSED:
            return
        self._last_activity = monotonic()  # what the loop's time() reads
        self._input.append(data)
        self._input_size += len(data)
        bodies = self.server._bodies
        over_budget = bodies.queued > bodies.limit  # (over_budget(), inline)
        if (self._input_size > MAX_BUFFERED_INPUT or over_budget) and not self._reading_paused:
            self._reading_paused = True
            cast(asyncio.ReadTransport, self.transport).pause_reading()
            if over_budget:
                self.server._bodies.waiting.add(self)
        self._pump()

    def eof_received(self) -> Optional[bool]:
        """Finish what was received before EOF (asyncore did), then close."""
        if self.state is ACCEPTING and self.conn is None:
            return bool(super().eof_received())
        self._eof = True
        self._pump()
        return not self.tls_active

    def connection_lost(self, error: Optional[Exception]) -> None:
        if self._timeout_handle is None:  # lost before aiosmtpd armed its timer
            self._reset_timeout()
        super().connection_lost(error)
        self._fire(LOST)
        self._finalize()

    def resume_writing(self) -> None:
        super().resume_writing()
        self._pump()

    # -- idle timeout: one timer per session, re-armed lazily ----------------

    def _reset_timeout(self, duration: Optional[float] = None) -> None:
        """aiosmtpd arms the timer on connect; afterwards input only notes the time."""
        self._last_activity = self.loop.time()
        if self._timeout_handle is None or duration is not None:
            if self._timeout_handle is not None:
                self._timeout_handle.cancel()
            self._timeout_handle = self.loop.call_later(
                duration or self._timeout_duration, self._timeout_cb
            )

    def _timeout_cb(self) -> None:
        """Idle past the timeout: close. Waiting for user code or for the TLS
        handshake (which has its own timeout) is not idling."""
        remaining = self._timeout_duration - (self.loop.time() - self._last_activity)
        if self.busy or self.state is SWITCHING_TLS:
            remaining = self._timeout_duration
        if remaining > 0 and self.state is not CLOSED:
            self._timeout_handle = self.loop.call_later(remaining, self._timeout_cb)
            return
        log.info("%r connection timeout", self.peer)
        self._fire(TIMEOUT)

    # -- the session -----------------------------------------------------------

    async def _handle_client(self) -> None:
        """Called by aiosmtpd on connect: PROXY header, accept hooks, then pump."""
        server = self.server
        if not server.serving:  # accepted just before close(): 421, never a hang
            cast(asyncio.WriteTransport, self.transport).write(SHUTDOWN_REPLY)
            self._fire(CLOSE)
            return
        server._connections.add(self)
        if self._proxy_timeout is not None and not await self._read_proxy_header():
            self._fire(TIMEOUT if self.state is ACCEPTING else CLOSE)
            return
        if self.state is not ACCEPTING:
            return
        assert self.transport is not None
        self.conn = LegacyConnection(self, self.transport.get_extra_info("socket"))
        leftover = bytes(self._reader._buffer)  # type: ignore[attr-defined]  # after PROXY
        if leftover:
            self._input.append(leftover)
        conn, addr = self.conn, self.peer
        if server._accepts_inline():
            self._guarded(server.handle_accepted, conn, addr, guard=server)
            self._fire(ACCEPTED)
            self._accepted()
            self._pump()
        else:
            self._start_job(
                lambda: self._guarded(server._accept_connection, conn, addr, guard=server),
                then=self._accepted,
            )

    async def _read_proxy_header(self) -> bool:
        """Behind a load balancer: the client's real address from PROXY v1/v2,
        within ``proxy_protocol_timeout``."""
        try:
            data = await asyncio.wait_for(get_proxy(self._reader), self._proxy_timeout)
        except (asyncio.TimeoutError, Exception):
            data = None
        if not data:
            log.warning("%r invalid or missing PROXY header; closing", self.peer)
            return False
        assert self.session is not None
        self.session.proxy_data = data
        if data.src_addr is not None:
            address = str(data.src_addr)
            peer: Any = (address, data.src_port)
            if ":" in address:  # IPv6: the 4-tuple getpeername() gives
                peer += (0, 0)
            self.session.peer = peer
        return True

    def _accepted(self) -> None:
        assert self.conn is not None
        self.inline = type(self.conn.channel) is SMTPChannel
        if self.conn.channel is None:
            self.conn.closing = True

    def _pump(self) -> None:
        """Feed input to the channel until it has to wait for a job or for input."""
        conn = self.conn
        while conn is not None and self.transport is not None and self.state in READING:
            self._flush()
            if self._paused:  # type: ignore[attr-defined]  # the client is not reading
                return
            if self.state is DRAINING and not self._in_transaction():
                self._shut_down()
                return
            if conn.closing:
                self._fire(CLOSE)
            elif conn.pending is not None:
                self._start_deferred(conn)
            elif conn.tls_requested:
                self._start_tls()
            elif self._input:
                self._feed_input(conn)
                continue
            elif self._eof:
                self._fire(CLOSE)
            elif self._reading_paused:
                if self.server._bodies.over_budget():
                    self.server._bodies.waiting.add(self)  # resumed when bodies go
                else:
                    self._reading_paused = False
                    cast(asyncio.ReadTransport, self.transport).resume_reading()
            return

    def _feed_input(self, conn: LegacyConnection) -> None:
        data = b"".join(self._input) if len(self._input) > 1 else self._input[0]
        self._input.clear()
        self._input_size = 0
        channel = conn.channel
        if channel is None:
            return
        if self.inline:
            self._feed_channel(conn, channel, data)
        else:
            self._start_job(lambda: self._feed_channel(conn, channel, data))

    def _feed_channel(self, conn: LegacyConnection, channel: SMTPChannel, data: bytes) -> None:
        """Feed input; when a hook failed (and was handled), go on with the rest."""
        while not self._guarded(channel._feed, data):
            if not channel._inbuf or conn.suspended or conn.closing:
                return
            data = b""

    def _guarded(self, hook: Callable[..., Any], *args: Any, guard: Any = None) -> bool:
        """Run a legacy hook; on failure call ``handle_error`` inside ``except``.

        False when the hook failed. ``ExitNow`` leaves the program's loop, as it did."""
        conn = self.conn
        assert conn is not None
        conn.in_job = True
        try:
            hook(*args)
            return True
        except Exception as exc:
            if ends_program_loop(exc):
                self.server._exit_loop(exc)
            else:
                self._handle_hook_error(guard or conn.channel)
            return False
        finally:
            conn.in_job = False

    def _handle_hook_error(self, target: Any) -> None:
        """Inside ``except``: the hook's own ``handle_error``, else close."""
        try:
            if target is None:
                raise
            target.handle_error()
        except Exception:
            log.exception("%r unhandled error in legacy code; closing", self.peer)
            if self.conn is not None:
                self.conn.closing = True

    # -- user code, on the program's loop thread (or the pool) -----------------

    def _start_job(
        self, work: Callable[[], Any], then: Optional[Callable[[], None]] = None
    ) -> None:
        """Hand user code over; the session waits in IN_USER_CODE, then pumps."""

        def done(result: Any, error: Optional[BaseException]) -> None:
            self._from_user_thread(self._job_done, then, error)

        self._run_user_code(work, done)

    def _run_user_code(self, work: Callable[[], Any], done: Done) -> None:
        self._fire(JOB_STARTED)
        self._job = Job(work, done, owner=self)
        self.server._jobs.submit(self._job)

    def _job_done(self, then: Optional[Callable[[], None]], error: Optional[BaseException]) -> None:
        self._job = None
        if error is not None and not self.server._jobs_on_program_thread:
            self.server._exit_loop(error)  # SystemExit in the pool: end the program's loop
        self._fire(JOB_DONE)
        if self.state is CLOSED:
            return
        if then is not None:
            then()
        self._pump()

    def _from_user_thread(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            self.holder.call_from(self.server._program_jobs, callback, *args)
        except RuntimeError:  # the loop is closed: the session is long gone
            pass

    def _start_deferred(self, conn: LegacyConnection) -> None:
        """Run a paused dialogue's user code (``process_message``, AUTH)."""
        assert conn.pending is not None and conn.channel is not None
        (work, then), conn.pending = conn.pending, None
        channel = conn.channel
        self._queued_bytes, conn.pending_bytes = conn.pending_bytes, 0
        self.server._bodies.add(self._queued_bytes)

        def done(result: Any, error: Optional[BaseException]) -> None:
            self._from_user_thread(self._deferred_done, channel, then, result, error)

        self._run_user_code(work, done)

    def _deferred_done(
        self,
        channel: SMTPChannel,
        then: Callable[[Any], None],
        result: Any,
        error: Optional[BaseException],
    ) -> None:
        def finish() -> None:
            if error is None:
                then(result)
            elif ends_program_loop(error):
                if not self.server._jobs_on_program_thread:
                    self.server._exit_loop(error)  # the program thread re-raised it itself
            else:
                try:
                    raise error
                except Exception:
                    channel.handle_error()  # inside ``except``, as legacy hooks expect

        self._job = None
        self._release_queued_bytes()
        self._fire(JOB_DONE)
        if self.state is CLOSED:
            return
        self._guarded(finish)
        if self.conn is not None:
            self.conn.suspended = False
            self._feed_channel(self.conn, channel, b"")
        self._pump()

    # -- output --------------------------------------------------------------

    def _flush(self) -> None:
        conn = self.conn
        if conn is not None and conn.outgoing:
            transport: Any = self.transport  # (``open``, inline: called on every pump)
            if transport is not None and self.state is not CLOSED:
                transport.write(conn.take_output())

    def flush_threadsafe(self) -> None:
        """Output pushed outside a dialogue job (another thread, a timer)."""
        self._from_user_thread(self._pump)

    # -- STARTTLS ------------------------------------------------------------

    def _start_tls(self) -> None:
        conn = self.conn
        assert conn is not None and conn.channel is not None
        conn.tls_requested = False
        if self.state is DRAINING:
            self._shut_down()
            return
        # Plaintext pipelined after STARTTLS is never read (CVE-2024-34083): what
        # came with it is dropped, and nothing more is read until the TLS layer
        # reads the rest as a handshake. Input while switching is then decrypted.
        cast(asyncio.ReadTransport, self.transport).pause_reading()
        self._input.clear()
        self._input_size = 0
        conn.channel._inbuf = b""
        self._fire(STARTTLS)
        cast(asyncio.WriteTransport, self.transport).write(b"220 Ready to start TLS\r\n")
        self.loop.create_task(self._switch_to_tls(conn, conn.channel))

    async def _switch_to_tls(self, conn: LegacyConnection, channel: SMTPChannel) -> None:
        """asyncio's ``start_tls``; the session (peer, PROXY data) carries over."""
        plain = cast(asyncio.Transport, self.transport)
        assert plain is not None and self.session is not None
        try:
            secure = await self.loop.start_tls(
                plain,
                self,
                self.tls_context,  # type: ignore[arg-type]
                server_side=True,
                ssl_handshake_timeout=self._timeout_duration,
            )
        except Exception as exc:
            log.warning("%r TLS handshake failed: %r", self.peer, exc)
            plain.abort()  # asyncio tells no protocol of ours that it is gone
            self._fire(HANDSHAKE_FAILED)
            self.loop.call_soon(self._finalize)
            return
        assert secure is not None
        if self.state is CLOSED:
            secure.close()
            return
        self.transport = secure
        self.session.ssl = {
            name: secure.get_extra_info(name) for name in ("ssl_object", "peercert", "cipher")
        }
        self._last_activity = self.loop.time()
        self._fire(HANDSHAKE_DONE)
        # RFC 3207 4.2: forget everything learnt before TLS.
        conn.in_job = True
        channel._set_rset_state()
        channel.seen_greeting = ""
        channel.extended_smtp = False
        conn.in_job = False
        conn.suspended = False
        self._pump()

    # -- shutdown ------------------------------------------------------------

    def closed(self) -> asyncio.Future[None]:
        """Done once the session is over."""
        if self._over_future is None:
            self._over_future = self.loop.create_future()
            if self.state is CLOSED:
                self._over_future.set_result(None)
        return self._over_future

    def drain(self) -> None:
        """Shutting down: end the session as soon as no transaction is under way."""
        self._fire(SHUTDOWN)
        self._pump()

    def _shut_down(self) -> None:
        self._flush()
        if self.transport is not None and not self.transport.is_closing():
            cast(asyncio.WriteTransport, self.transport).write(SHUTDOWN_REPLY)
        self._fire(CLOSE)

    def force_close(self) -> None:
        """The drain time is over (or its user code will never run): ``421``
        unless user code holds the session, then close."""
        if self.state is CLOSED:
            return
        if not self.busy:
            self._shut_down()
            return
        if self._job is not None and not self._job.started:
            self._job.cancelled = True  # never ran: the client gets 421 and retries
            self._release_queued_bytes()
            self._shut_down()
            return
        self._fire(CLOSE)

    def _release_queued_bytes(self) -> None:
        self.server._bodies.remove(self._queued_bytes)
        self._queued_bytes = 0

    def _in_transaction(self) -> bool:
        channel = self.conn.channel if self.conn else None
        return self.busy or (channel is not None and channel.smtp_state == SMTPChannel.DATA)


class BodyBudget:
    """Message bodies waiting for user code, per server (inside the event loop only).

    While the program's loop is busy, other sessions go on receiving mail; past
    ``limit`` bytes of bodies waiting, every session of the server stops reading
    until user code catches up, so a stuck ``process_message`` cannot make the
    process hold an unbounded amount of mail."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.queued = 0
        self.waiting: Set[LegacySMTP] = set()

    def over_budget(self) -> bool:
        return self.queued > self.limit

    def add(self, size: int) -> None:
        self.queued += size

    def remove(self, size: int) -> None:
        self.queued -= size
        if self.waiting and not self.over_budget():
            waiting, self.waiting = self.waiting, set()
            for session in waiting:
                session._pump()


class QuietAiosmtpdLog(logging.Filter):
    """aiosmtpd's own lines (``Peer:``, ``connection lost``, an empty ``Available
    AUTH mechanisms``) describe our sessions in its terms; legacy wrote nothing to
    the program's log, so records it makes inside our event loop are dropped
    (whichever thread runs it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not engine_loop_running_here()


logging.getLogger("mail.log").addFilter(QuietAiosmtpdLog())


def is_exit_now(exc: BaseException) -> bool:
    """``asyncore.ExitNow`` from whichever asyncore the program uses."""
    return type(exc).__name__ == "ExitNow"


def ehlo_with_extensions(reply: bytes, extensions: List[bytes]) -> bytes:
    """Append extension lines the EHLO reply lacks, keeping its own lines."""
    lines = reply.split(b"\r\n")
    while lines and not lines[-1]:
        lines.pop()
    keywords = {line[4:].split(b" ")[0].upper() for line in lines}
    missing = [ext for ext in extensions if ext.split(b" ")[0] not in keywords]
    if not missing or not lines or not lines[-1].startswith(b"250"):
        return reply
    last = lines.pop()
    lines.append(last[:3] + b"-" + last[4:])
    lines += [b"250-" + ext for ext in missing[:-1]] + [b"250 " + missing[-1]]
    return b"\r\n".join(lines) + b"\r\n"


def tls_context_from_files(cert: str, key: Optional[str]) -> ssl.SSLContext:
    """A server context for STARTTLS; unreadable files fail here, naming the file."""
    for path in (cert, key):
        if path is None:
            continue
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise OSError(exc.errno, f"cannot read TLS file {path!r}: {exc.strerror}") from None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise ValueError(f"cannot load TLS certificate {cert!r} / key {key!r}: {exc}") from None
    return context


def adopt(server: Any, sock: socket.socket, options: Dict[str, Any]) -> bool:
    """Serve a socket the program's loop accepted (any thread) on the event loop,
    held by the session until its transport is gone. True when the session was
    scheduled without waking the loop: the caller runs the loop next."""
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        # Replies must not wait on Nagle (asyncio sets this only for proto=TCP
        # sockets; the listening socket was made like legacy's, with proto 0).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    holder = EventLoopThread.acquire()
    try:
        return holder.call_soon_here(_open_session, server, sock, holder, options)
    except BaseException:
        sock.close()
        holder.release()
        raise


def _open_session(
    server: Any, sock: socket.socket, holder: EventLoopThread, options: Dict[str, Any]
) -> None:
    protocol = LegacySMTP(server, holder, loop=holder.loop, **options)

    async def connect() -> None:
        try:
            await holder.loop.connect_accepted_socket(lambda: protocol, sock)
        except Exception as exc:  # the client left before we got to it
            log.info("%r could not be served: %r", sock, exc)
            sock.close()
            protocol._finalize()

    holder.loop.create_task(connect())


async def drain_sessions(sessions: Set[LegacySMTP], drain: float) -> None:
    """Idle sessions get ``421`` now; a transaction in DATA or in user code gets
    ``drain`` seconds to finish, then ``421``."""
    waiting = [session.closed() for session in list(sessions)]
    for session in list(sessions):
        session.drain()
    if waiting:
        await asyncio.wait(waiting, timeout=drain)
    for session in list(sessions):
        session.force_close()

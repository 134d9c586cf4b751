"""The one module that knows both worlds: legacy channels served by aiosmtpd.

Design (and why)
----------------
Legacy subclasses hook in at every level of the old dialogue (``smtp_<VERB>``,
``found_terminator``, ``collect_incoming_data``, ``push``, ``handle_accepted``), so
the dialogue engine *is* the legacy ``SMTPChannel`` state machine (``_channel``), fed
with the bytes ``asynchat`` would have fed it. aiosmtpd serves the connection:
:class:`LegacySMTP` subclasses ``aiosmtpd.smtp.SMTP`` and keeps its connection
life-cycle, idle timeout, STARTTLS switch (with the CVE-2024-34083 buffer purge)
and PROXY protocol support, replacing only ``_handle_client``, the coroutine that
reads commands, with one that drives the legacy channel.

The rule: user code never runs on the event loop thread. Per connection, either

* *inline*: the channel is the stock :class:`SMTPChannel`, so the dialogue is our
  own code and runs on the loop; only ``process_message`` goes to the server's
  worker pool, the dialogue pausing (input buffered) until it returns; or
* *worker*: the channel class or the accept hooks are user code, so every feed of
  input runs on the server's worker pool, one job at a time per connection.

A server's pool has one thread unless the user opts into ``concurrency=N``: user
code of one server runs one call at a time, as it did under asyncore. Replies
pushed during one job leave in one write, in the order they were pushed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import inspect
import logging
import signal
import socket
import ssl
import threading
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, cast

from aiosmtpd.smtp import SMTP as AioSMTP

from ._channel import SMTPChannel

log = logging.getLogger("smtpd_compat")

READ_SIZE = 65536
MessageArgs = Tuple[Tuple[Any, ...], Dict[str, Any]]


def block_signals() -> None:
    """Helper threads leave SIGINT/SIGTERM to the program's main thread."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


class EventLoopThread:
    """One asyncio loop on a daemon thread, shared by every open server (as one
    asyncore map was); it stops when the last server closes."""

    _lock = threading.Lock()
    _current: Optional[EventLoopThread] = None

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.users = 0
        ready = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(ready,), name="smtpd_compat-loop", daemon=True
        )
        self.thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        block_signals()
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    @classmethod
    def acquire(cls) -> EventLoopThread:
        with cls._lock:
            if cls._current is None:
                cls._current = cls()
            cls._current.users += 1
            return cls._current

    def release(self, timeout: float = 10.0) -> None:
        with self._lock:
            self.users -= 1
            if self.users > 0:
                return
            EventLoopThread._current = None
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout)

    def run(self, coro: Any, timeout: float = 30.0) -> Any:
        """Run a coroutine on the loop and wait for its result (not from the loop)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


def make_worker_pool(concurrency: int, name: str) -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(
        max_workers=concurrency, thread_name_prefix=name, initializer=block_signals
    )


def join_pool(pool: concurrent.futures.ThreadPoolExecutor, timeout: float) -> None:
    """Shut a pool down, joining its threads within ``timeout`` (never forever)."""
    pool.shutdown(wait=False)
    me = threading.current_thread()
    for thread in list(getattr(pool, "_threads", ())):
        if thread is not me:
            thread.join(timeout)


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
        self.outgoing: List[bytes] = []
        self.closing = False
        self.suspended = False
        self.pending: Optional[MessageArgs] = None
        self.tls_requested = False
        self.in_job = False

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

    # engine surface used by SMTPChannel
    def attach_channel(self, channel: SMTPChannel) -> None:
        self.channel = channel

    def deliver(self, channel: SMTPChannel, message: MessageArgs) -> None:
        """A complete message: call ``process_message`` now (already on a worker)
        or pause the dialogue and let the loop hand it to a worker."""
        if self._protocol.inline:
            self.suspended, self.pending = True, message
            return
        status = call_process_message(channel.smtp_server, *message)
        channel._message_done(status)

    def starttls_available(self) -> bool:
        return self._protocol.tls_context is not None and not self._protocol.tls_active

    def starttls_required(self) -> bool:
        return bool(self._protocol.require_starttls) and not self._protocol.tls_active

    def advertise_starttls_since(self, mark: int) -> None:
        """Make the EHLO reply pushed since ``mark`` offer STARTTLS, even when a
        subclass wrote that reply itself: add the line, keep the user's lines."""
        reply = b"".join(self.outgoing[mark:])
        if reply.startswith(b"250"):
            self.outgoing[mark:] = [ehlo_with_starttls(reply)]

    def start_tls(self, channel: SMTPChannel) -> None:
        """Stop reading plaintext: whatever was pipelined after STARTTLS is dropped."""
        self.tls_requested = self.suspended = True


class LegacySMTP(AioSMTP):
    """aiosmtpd's protocol with the legacy channel as its dialogue engine."""

    def __init__(self, server: Any, **kwargs: Any) -> None:
        super().__init__(None, **kwargs)
        self.server = server
        self.conn: Optional[LegacyConnection] = None
        self.inline = False
        self.busy = False
        self._flush_scheduled = False

    @property
    def peer(self) -> Any:
        return self.session.peer if self.session else None

    @property
    def tls_active(self) -> bool:
        return self.session is not None and self.session.ssl is not None

    def _write(self, data: bytes) -> None:
        cast(asyncio.WriteTransport, self.transport).write(data)

    # -- life-cycle ----------------------------------------------------------

    def eof_received(self) -> Optional[bool]:
        """Finish what was received before EOF (asyncore did) instead of cancelling."""
        self._reader.feed_eof()
        return not self.tls_active

    async def _handle_client(self) -> None:
        self.server._connections.add(self)
        try:
            assert self.transport is not None
            sock = self.transport.get_extra_info("socket")
            self.conn = LegacyConnection(self, sock)
            await self._accept(sock)
            await self._serve()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%r session failed", self.peer)
        finally:
            self.server._connections.discard(self)
            if self.transport is not None:
                self.transport.close()

    async def _accept(self, sock: Any) -> None:
        server, conn = self.server, self.conn
        assert conn is not None
        addr = self.peer
        if server._accepts_inline():
            conn.in_job = True
            server.handle_accepted(conn, addr)
            conn.in_job = False
        else:
            await self._in_worker(server._accept_connection, conn, addr, guard=server)
        channel = conn.channel
        self.inline = type(channel) is SMTPChannel
        if channel is None:
            conn.closing = True

    async def _serve(self) -> None:
        conn = self.conn
        assert conn is not None
        while self.transport is not None:
            await self._flush()
            if conn.closing:
                return
            if conn.pending is not None:
                await self._deliver_pending()
                continue
            if conn.tls_requested:
                await self._switch_to_tls()
                continue
            data = await self._reader.read(READ_SIZE)
            if not data:
                return
            self._reset_timeout()
            await self._feed(data)

    async def _feed(self, data: bytes) -> None:
        channel = self.conn.channel if self.conn else None
        if channel is None:
            return
        if self.inline:
            self._guarded(channel._feed, data)
        else:
            await self._in_worker(channel._feed, data)

    def _guarded(self, hook: Callable[..., Any], *args: Any, guard: Any = None) -> None:
        """Run a legacy hook; on failure call ``handle_error`` inside ``except``."""
        conn = self.conn
        assert conn is not None
        conn.in_job = True
        try:
            hook(*args)
        except Exception as exc:
            self._handle_hook_error(exc, guard or conn.channel)
        finally:
            conn.in_job = False

    def _handle_hook_error(self, exc: BaseException, target: Any) -> None:
        if type(exc).__name__ == "ExitNow":
            self.server._exit_loop(exc)
            return
        try:
            if target is None:
                raise exc
            target.handle_error()
        except Exception:
            log.exception("%r unhandled error in legacy code; closing", self.peer)
            if self.conn is not None:
                self.conn.closing = True

    async def _in_worker(self, hook: Callable[..., Any], *args: Any, guard: Any = None) -> None:
        self.busy = True
        try:
            await self.loop.run_in_executor(
                self.server._workers, lambda: self._guarded(hook, *args, guard=guard)
            )
        finally:
            self.busy = False

    async def _deliver_pending(self) -> None:
        conn = self.conn
        assert conn is not None and conn.pending is not None and conn.channel is not None
        message, conn.pending = conn.pending, None
        channel, server = conn.channel, conn.channel.smtp_server
        self.busy = True
        try:
            status = await self.loop.run_in_executor(
                server._workers, call_process_message, server, *message
            )
        except Exception:
            conn.in_job = True
            try:
                channel.handle_error()
            finally:
                conn.in_job = False
        else:
            self._guarded(channel._message_done, status)
        finally:
            self.busy = False
        conn.suspended = False
        self._guarded(channel._feed, b"")

    # -- output --------------------------------------------------------------

    async def _flush(self) -> None:
        conn = self.conn
        if conn is None or not conn.outgoing or self.transport is None:
            return
        data, conn.outgoing[:] = b"".join(conn.outgoing), []
        self._writer.write(data)
        try:
            await self._writer.drain()
        except ConnectionError:
            conn.closing = True

    def flush_threadsafe(self) -> None:
        """Output pushed outside a dialogue job (another thread, a timer)."""
        try:
            self.loop.call_soon_threadsafe(self._flush_outside_job)
        except RuntimeError:  # loop already closed: the connection is gone
            pass

    def _flush_outside_job(self) -> None:
        conn = self.conn
        if conn is None or self.transport is None:
            return
        if conn.outgoing:
            data, conn.outgoing[:] = b"".join(conn.outgoing), []
            self._write(data)
        if conn.closing and not self.busy:
            self.transport.close()

    # -- STARTTLS ------------------------------------------------------------

    async def _switch_to_tls(self) -> None:
        conn = self.conn
        assert conn is not None and conn.channel is not None
        conn.tls_requested = False
        channel = conn.channel
        channel._inbuf = b""
        await self.smtp_STARTTLS("")
        # RFC 3207 4.2: forget everything learnt before TLS.
        conn.in_job = True
        channel._set_rset_state()
        channel.seen_greeting = ""
        channel.extended_smtp = False
        conn.in_job = False
        conn.suspended = False

    # -- shutdown ------------------------------------------------------------

    def shut_down(self, reply: bytes) -> None:
        """Close an idle session with ``reply``; a busy one finishes its job first."""
        if self.conn is not None:
            self.conn.closing = True
        if not self.busy and self.transport is not None:
            self._write(reply)
            self.transport.close()


def ehlo_with_starttls(reply: bytes) -> bytes:
    """Add ``250-STARTTLS`` before the last line of an EHLO reply, if missing."""
    if b"STARTTLS" in reply.upper():
        return reply
    lines = reply.split(b"\r\n")
    while lines and not lines[-1]:
        lines.pop()
    if not lines or not lines[-1].startswith(b"250"):
        return reply
    last = lines.pop()
    lines += [last[:3] + b"-" + last[4:], b"250 STARTTLS"]
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


async def start_serving(
    sock: socket.socket, factory: Callable[[], LegacySMTP]
) -> asyncio.AbstractServer:
    loop = asyncio.get_running_loop()
    return await loop.create_server(factory, sock=sock)


async def stop_serving(
    aio_server: asyncio.AbstractServer, sessions: Set[LegacySMTP], drain: float
) -> None:
    """Stop listening, 421 idle sessions, give busy ones ``drain`` seconds."""
    aio_server.close()
    reply = b"421 Service shutting down and closing transmission channel\r\n"
    for session in list(sessions):
        session.shut_down(reply)
    deadline = asyncio.get_running_loop().time() + drain
    while any(s.busy for s in sessions) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    for session in list(sessions):
        if session.transport is not None:
            session.transport.close()

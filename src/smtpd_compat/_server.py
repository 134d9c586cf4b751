"""The legacy server classes: ``SMTPServer``, ``DebuggingServer``, ``PureProxy``.

``SMTPServer`` binds and listens in ``__init__`` as the stdlib did, then hands the
socket to the shared event-loop thread (``_bridge``). To the program it still looks
like an asyncore dispatcher: while open it keeps an entry in its ``map`` (by
default ``asyncore.socket_map``), keyed by a wake-up socket, so ``asyncore.loop()``
blocks while it serves and returns once ``close()`` or ``asyncore.close_all()``
has run, from any thread.
"""

from __future__ import annotations

import atexit
import errno
import logging
import os
import re
import select
import selectors
import signal
import socket
import ssl
import sys
import threading
import time
import warnings
import weakref
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from . import _bridge
from ._auth import CredentialsFile
from ._channel import (
    DATA_SIZE_DEFAULT,
    NEWLINE,
    SMTPChannel,
    check_encoding_options,
    debug_print,
)
from ._environment import check_environment, env_flag
from ._threads import EventLoopThread, WorkerPool

log = logging.getLogger("smtpd_compat")

SocketMap = Dict[int, Any]
_fallback_map: SocketMap = {}

AUTH_FILE_ENV = "SMTPD_COMPAT_AUTH_FILE"
AUTH_REQUIRED_ENV = "SMTPD_COMPAT_AUTH_REQUIRED"
AUTH_ALLOW_PLAINTEXT_ENV = "SMTPD_COMPAT_AUTH_ALLOW_PLAINTEXT"
PROXY_PROTOCOL_ENV = "SMTPD_COMPAT_PROXY_PROTOCOL"
TLS_CERT_ENV = "SMTPD_COMPAT_TLS_CERT"
TLS_KEY_ENV = "SMTPD_COMPAT_TLS_KEY"
REQUIRE_STARTTLS_ENV = "SMTPD_COMPAT_REQUIRE_STARTTLS"
SIGTERM_ENV = "SMTPD_COMPAT_SIGTERM"

#: Every variable the library reads. Any other ``SMTPD_COMPAT_*`` variable is a
#: start-up error: a misspelt STARTTLS requirement must not leave TLS
#: enforcement off unnoticed.
SETTINGS_ENV = (
    TLS_CERT_ENV,
    TLS_KEY_ENV,
    REQUIRE_STARTTLS_ENV,
    AUTH_FILE_ENV,
    AUTH_REQUIRED_ENV,
    AUTH_ALLOW_PLAINTEXT_ENV,
    PROXY_PROTOCOL_ENV,
    SIGTERM_ENV,
)
#: The yes/no variables among them.
FLAG_ENV = (
    REQUIRE_STARTTLS_ENV,
    AUTH_REQUIRED_ENV,
    AUTH_ALLOW_PLAINTEXT_ENV,
    PROXY_PROTOCOL_ENV,
    SIGTERM_ENV,
)


_open_servers: weakref.WeakSet[SMTPServer] = weakref.WeakSet()
_sigterm_installed = False


def install_graceful_sigterm() -> None:
    """SIGTERM ends the program like Ctrl-C: open servers then close gracefully at
    exit (transactions in progress finish), instead of dying mid-message.

    Only in the main thread, only while the program kept the default action (its
    own handler, set before or after, always wins), and not with
    ``SMTPD_COMPAT_SIGTERM=0``. Once no server is open, SIGTERM kills as before."""
    global _sigterm_installed
    if _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    if env_flag(SIGTERM_ENV) is False:
        return
    _sigterm_installed = True
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    if not _open_servers:  # nothing to close: the default action, as if never installed
        global _sigterm_installed
        signal.signal(signum, signal.SIG_DFL)
        _sigterm_installed = False
        signal.raise_signal(signum)
        return
    raise SystemExit(128 + signum)


@atexit.register
def _close_open_servers() -> None:
    for server in list(_open_servers):
        server.close()


def default_socket_map() -> SocketMap:
    """``socket_map`` of the asyncore module the program uses (the stdlib one up to
    3.11, pyasyncore's on 3.12+, or whatever is in ``sys.modules``)."""
    module: Any = sys.modules.get("asyncore")
    if module is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                import asyncore as module
        except ImportError:
            return _fallback_map
    socket_map: SocketMap = module.socket_map
    return socket_map


def pick(*choices: Any) -> Any:
    """The first choice that is not None: keyword argument, environment, default."""
    return next((choice for choice in choices if choice is not None), None)


def tls_context_from_env() -> Optional[ssl.SSLContext]:
    """STARTTLS for a program nobody edited: certificate and key from the environment.

    A key without a certificate is an error: the user meant to turn TLS on."""
    cert = os.environ.get(TLS_CERT_ENV, "").strip()
    key = os.environ.get(TLS_KEY_ENV, "").strip() or None
    if not cert:
        if key:
            raise ValueError(
                "%s is set but %s is not: STARTTLS needs the certificate too"
                % (TLS_KEY_ENV, TLS_CERT_ENV)
            )
        return None
    return _bridge.tls_context_from_files(cert, key)


def check_certificate(context: ssl.SSLContext) -> None:
    """A TLS handshake in memory: a context without a certificate fails here, at
    start-up, rather than on every client's STARTTLS (OpenSSL: no shared cipher)."""
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context.wrap_bio(to_client, to_server, server_side=False)
    server = context.wrap_bio(to_server, to_client, server_side=True)
    for _ in range(8):  # TLS 1.2 and 1.3 finish in fewer round trips
        for side in (client, server):
            try:
                side.do_handshake()
                if side is server:
                    return
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError as exc:
                if side is server and exc.reason == "NO_SHARED_CIPHER":
                    raise ValueError(
                        "tls_context has no certificate (the TLS handshake finds no shared "
                        "cipher): call load_cert_chain() on it, or set %s" % TLS_CERT_ENV
                    ) from None
                return  # other refusals (client certificates required...) are the user's


class SMTPServer:
    """Listens like the stdlib ``smtpd.SMTPServer``; override ``process_message``."""

    channel_class = SMTPChannel
    #: How many ``process_message`` calls (and channel hooks) may run at once.
    #: 1 keeps the one-thread world legacy code was written for.
    concurrency = 1
    #: Seconds a client may stay silent before it is disconnected.
    timeout: float = 300.0
    #: Seconds ``close()`` lets a running ``process_message`` finish.
    drain_timeout: float = 10.0
    #: Commands a client may send without a message going through, then ``421``.
    command_limit: Optional[int] = 1000
    #: Seconds a client behind a load balancer has to send its PROXY header.
    proxy_protocol_timeout: float = 5.0

    accepting = True
    connected = False
    addr: Any = None
    debug = False

    def __init__(
        self,
        localaddr: Tuple[Any, ...],
        remoteaddr: Any,
        data_size_limit: int = DATA_SIZE_DEFAULT,
        map: Optional[SocketMap] = None,
        enable_SMTPUTF8: bool = False,
        decode_data: bool = False,
        *,
        tls_context: Optional[ssl.SSLContext] = None,
        require_starttls: Optional[bool] = None,
        authenticator: Optional[Callable[..., Any]] = None,
        auth_file: Optional[str] = None,
        auth_required: Optional[bool] = None,
        auth_require_tls: Optional[bool] = None,
        proxy_protocol: Optional[bool] = None,
        concurrency: Optional[int] = None,
        timeout: Optional[float] = None,
        drain_timeout: Optional[float] = None,
        command_limit: Optional[int] = None,
    ) -> None:
        self._localaddr = localaddr
        self._remoteaddr = remoteaddr
        self.data_size_limit = data_size_limit
        self.enable_SMTPUTF8 = enable_SMTPUTF8
        self._decode_data = decode_data
        check_encoding_options(enable_SMTPUTF8, decode_data)
        self._map = default_socket_map() if map is None else map
        self._close_lock = threading.Lock()
        self._closed = False
        self._connections: Set[Any] = set()
        self._pending_accept: Optional[Tuple[Any, Any]] = None
        self._pending_exit: Optional[BaseException] = None
        self._configure_tls(tls_context, require_starttls)
        self._configure_auth(authenticator, auth_file, auth_required, auth_require_tls)
        self.proxy_protocol = bool(pick(proxy_protocol, env_flag(PROXY_PROTOCOL_ENV), False))
        tuning = (concurrency, timeout, drain_timeout, command_limit)
        for name, value in zip(
            ("concurrency", "timeout", "drain_timeout", "command_limit"), tuning
        ):
            if value is not None:
                setattr(self, name, value)
        self.socket = self._listen(localaddr)
        self.addr = self.socket.getsockname()
        self._wake_r, self._wake_w = socket.socketpair()
        self._start()
        debug_print(
            "%s started at %s\n\tLocal addr: %s\n\tRemote addr:%s"
            % (type(self).__name__, time.ctime(time.time()), self._shown_addr(), remoteaddr)
        )

    def _shown_addr(self) -> Tuple[Any, ...]:
        """The address as given, with the real port when port 0 was asked for."""
        given = tuple(self._localaddr)
        if len(given) >= 2 and given[1] == 0:
            return given[:1] + (self.addr[1],) + given[2:]
        return given

    # -- configuration: keyword argument, else environment, else class default ---

    def _configure_tls(
        self, tls_context: Optional[ssl.SSLContext], require_starttls: Optional[bool]
    ) -> None:
        """Fails closed: requiring STARTTLS without a certificate cannot start."""
        check_environment(SETTINGS_ENV, FLAG_ENV)  # first: no misspelt setting is ignored
        self.tls_context = tls_context if tls_context is not None else tls_context_from_env()
        if self.tls_context is not None:
            check_certificate(self.tls_context)
        required = pick(require_starttls, env_flag(REQUIRE_STARTTLS_ENV), False)
        self.require_starttls = bool(required)
        if self.require_starttls and self.tls_context is None:
            raise ValueError(
                "require_starttls (%s, --require-starttls) needs a certificate: pass "
                "tls_context=, or set %s (and %s if the key is in its own file), or "
                "--tls-cert on the command line" % (REQUIRE_STARTTLS_ENV, TLS_CERT_ENV, TLS_KEY_ENV)
            )

    def _configure_auth(
        self,
        authenticator: Optional[Callable[..., Any]],
        auth_file: Optional[str],
        auth_required: Optional[bool],
        auth_require_tls: Optional[bool],
    ) -> None:
        """AUTH PLAIN/LOGIN for unchanged programs: a callable or a bcrypt file."""
        auth_file = auth_file or os.environ.get(AUTH_FILE_ENV) or None
        if authenticator is None and auth_file:
            authenticator = CredentialsFile(auth_file)
        self._authenticator = authenticator
        self.auth_required = bool(pick(auth_required, env_flag(AUTH_REQUIRED_ENV), False))
        plaintext_ok = env_flag(AUTH_ALLOW_PLAINTEXT_ENV)
        self.auth_require_tls = bool(pick(auth_require_tls, not plaintext_ok, True))
        if self.auth_required and authenticator is None:
            raise ValueError(
                "auth_required needs an authenticator or an auth_file (%s)" % AUTH_FILE_ENV
            )
        if self.auth_required and self.auth_require_tls and self.tls_context is None:
            raise ValueError(
                "auth_required with AUTH over TLS only (the default) needs STARTTLS: pass "
                "tls_context= or set %s, or allow AUTH without TLS with "
                "auth_require_tls=False (%s=1)" % (TLS_CERT_ENV, AUTH_ALLOW_PLAINTEXT_ENV)
            )

    # -- binding and serving -------------------------------------------------

    @staticmethod
    def _listen(localaddr: Tuple[Any, ...]) -> socket.socket:
        """Create, bind and listen as legacy did: errors raise here, as OSError."""
        host, port = localaddr[:2]
        family, socktype, proto = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][:3]
        # With proto IPPROTO_TCP, asyncio sets TCP_NODELAY on accepted sockets.
        sock = socket.socket(family, socktype, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(localaddr)
            sock.listen(_bridge.LISTEN_BACKLOG)
        except BaseException:
            sock.close()
            raise
        return sock

    def _start(self) -> None:
        self._loop_thread = EventLoopThread.acquire()
        self._workers = WorkerPool(self.concurrency, "smtpd_compat-worker")
        options = dict(
            data_size_limit=self.data_size_limit,
            enable_SMTPUTF8=self.enable_SMTPUTF8,
            decode_data=self._decode_data,
            hostname=socket.getfqdn(),
            tls_context=self.tls_context,
            require_starttls=self.require_starttls,
            timeout=self.timeout,
            proxy_protocol_timeout=self.proxy_protocol_timeout if self.proxy_protocol else None,
            loop=self._loop_thread.loop,
        )
        try:
            self._aio_server = self._loop_thread.run(
                _bridge.start_serving(self.socket, lambda: _bridge.LegacySMTP(self, **options))
            )
        except BaseException:
            self.socket.close()
            self._loop_thread.release()
            raise
        self._map[self._wake_r.fileno()] = self
        _open_servers.add(self)
        install_graceful_sigterm()

    def _accepts_inline(self) -> bool:
        """Accepting runs on the loop only when no user code is involved."""
        return (
            _bridge.is_stock(self, "handle_accepted", SMTPServer)
            and _bridge.is_stock(self, "handle_accept", SMTPServer)
            and self.channel_class is SMTPChannel
        )

    def _accept_connection(self, conn: Any, addr: Any) -> None:
        """On a worker: the legacy accept hooks, ``handle_accept`` first if overridden."""
        if _bridge.is_stock(self, "handle_accept", SMTPServer):
            self.handle_accepted(conn, addr)
            return
        self._pending_accept = (conn, addr)
        try:
            self.handle_accept()
        finally:
            self._pending_accept = None

    # -- legacy hooks ----------------------------------------------------------

    def handle_accept(self) -> None:
        pair = self.accept()
        if pair is not None:
            self.handle_accepted(*pair)

    def accept(self) -> Optional[Tuple[Any, Any]]:
        """For Py2-style ``handle_accept`` overrides: the connection being accepted."""
        return self._pending_accept

    def handle_accepted(self, conn: Any, addr: Any) -> None:
        debug_print("Incoming connection from %s" % repr(addr))
        self.channel_class(
            self,
            conn,
            addr,
            self.data_size_limit,
            self._map,
            self.enable_SMTPUTF8,
            self._decode_data,
        )

    def process_message(
        self, peer: Any, mailfrom: str, rcpttos: List[str], data: Any, **kwargs: Any
    ) -> Optional[str]:
        """Override this to handle a message; return None for ``250 OK`` or a reply."""
        raise NotImplementedError

    def handle_error(self) -> None:
        log.exception("error in %s", type(self).__name__)

    # -- the asyncore face -----------------------------------------------------

    def fileno(self) -> int:
        return self.socket.fileno()

    def getsockname(self) -> Any:
        return self.socket.getsockname()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def handle_read_event(self) -> None:
        """The wake-up socket fired: drain it; re-raise an ``ExitNow`` from user code."""
        try:
            self._wake_r.recv(4096)
        except OSError:
            pass
        exc, self._pending_exit = self._pending_exit, None
        if exc is not None:
            raise exc

    def handle_write_event(self) -> None:
        pass

    def handle_expt_event(self) -> None:
        pass

    def handle_close(self) -> None:
        self.close()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _exit_loop(self, exc: BaseException) -> None:
        """User code raised ``asyncore.ExitNow``: end the program's loop, as before."""
        self._pending_exit = exc
        self._wake()

    # -- shutdown ----------------------------------------------------------------

    def close(self) -> None:
        """Stop serving; returns once the port is released. Idempotent, any thread."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        _open_servers.discard(self)
        self._map.pop(self._wake_r.fileno(), None)
        self._wake()
        drain = 0.0 if self._workers.owns_current_thread() else self.drain_timeout
        try:
            self._loop_thread.run(
                _bridge.stop_serving(self._aio_server, self._connections, drain), drain + 10
            )
        finally:
            self.socket.close()
            self._workers.shutdown(self.drain_timeout)
            self._loop_thread.release()
            self._wake_r.close()
            self._wake_w.close()

    def __enter__(self) -> SMTPServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<%s.%s listening %r>" % (__name__, type(self).__name__, self.addr)


class DebuggingServer(SMTPServer):
    """Prints each message to ``sys.stdout`` exactly as the stdlib did."""

    def _print_message_content(self, peer: Any, data: Any) -> None:
        inheaders = 1
        for line in data.splitlines():
            if inheaders and not line:
                peerheader = "X-Peer: " + peer[0]
                if not isinstance(data, str):
                    peerheader = repr(peerheader.encode("utf-8"))
                print(peerheader)
                inheaders = 0
            if not isinstance(data, str):
                line = repr(line)
            print(line)

    def process_message(
        self, peer: Any, mailfrom: str, rcpttos: List[str], data: Any, **kwargs: Any
    ) -> Optional[str]:
        print("---------- MESSAGE FOLLOWS ----------")
        if kwargs:
            if kwargs.get("mail_options"):
                print("mail options: %s" % kwargs["mail_options"])
            if kwargs.get("rcpt_options"):
                print("rcpt options: %s\n" % kwargs["rcpt_options"])
        self._print_message_content(peer, data)
        print("------------ END MESSAGE ------------")
        sys.stdout.flush()
        return None


class PureProxy(SMTPServer):
    """Relays each message to ``remoteaddr`` with smtplib (on a worker thread)."""

    #: Seconds smtplib waits for the upstream server on each step of a relay;
    #: legacy waited forever, so one stuck upstream pinned every session.
    relay_timeout: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("enable_SMTPUTF8"):
            raise ValueError("PureProxy does not support SMTPUTF8.")
        super().__init__(*args, **kwargs)

    def process_message(
        self, peer: Any, mailfrom: str, rcpttos: List[str], data: Any, **kwargs: Any
    ) -> Optional[str]:
        relayed = add_peer_header(data, peer)
        if not isinstance(relayed, str):  # smtplib fixes line ends of str data only
            relayed = crlf_line_ends(relayed)
        refused = self._deliver(mailfrom, rcpttos, relayed)
        debug_print("we got some refusals:", refused)
        if refused:
            log.warning("relay to %r refused recipients: %r", self._remoteaddr, refused)
        return None

    def _deliver(self, mailfrom: str, rcpttos: List[str], data: Any) -> Dict[str, Any]:
        import smtplib

        refused: Dict[str, Any] = {}
        try:
            s = smtplib.SMTP(timeout=self.relay_timeout)
            s.connect(self._remoteaddr[0], self._remoteaddr[1])
            try:
                refused = s.sendmail(mailfrom, rcpttos, data)
            finally:
                s.quit()
        except smtplib.SMTPRecipientsRefused as e:
            debug_print("got SMTPRecipientsRefused")
            refused = e.recipients
        except (OSError, smtplib.SMTPException) as e:
            debug_print("got", e.__class__)
            errcode = getattr(e, "smtp_code", -1)
            errmsg = getattr(e, "smtp_error", "ignore")
            for r in rcpttos:
                refused[r] = (errcode, errmsg)
        return refused


def crlf_line_ends(data: bytes) -> bytes:
    """What smtplib does to str data: every CRLF, LF or lone CR becomes CRLF, so the
    upstream server gets RFC 5321 line ends as it did from legacy PureProxy."""
    return re.sub(rb"\r\n|\n|\r(?!\n)", b"\r\n", data)


def add_peer_header(data: Any, peer: Any) -> Any:
    """Insert ``X-Peer`` after the headers, for str and bytes data alike."""
    text = isinstance(data, str)
    newline = NEWLINE if text else NEWLINE.encode()
    header = "X-Peer: %s" % peer[0]
    lines = data.split(newline)
    i = 0
    for line in lines:
        if not line:
            break
        i += 1
    lines.insert(i, header if text else header.encode("ascii"))
    return newline.join(lines)


def loop(
    timeout: float = 30.0,
    use_poll: bool = False,
    map: Optional[SocketMap] = None,
    count: Optional[int] = None,
) -> None:
    """``asyncore.loop()`` for programs without asyncore: serve the map's dispatchers
    (servers and any of the program's own) until the map is empty or ``count`` polls
    have run. ``poll()`` instead of ``select()``, so no limit of 1023 on file
    descriptors; ``use_poll`` chooses asyncore's ``poll2`` rules over its ``poll``
    rules. ``select()`` only where ``poll()`` is missing (Windows)."""
    socket_map = default_socket_map() if map is None else map
    poll_once = _poll_with_poll if use_poll and hasattr(select, "poll") else _poll_with_selector
    while socket_map and (count is None or count > 0):
        poll_once(timeout, socket_map)
        if count is not None:
            count -= 1


#: asyncore's: errors that mean the peer went away, answered with ``handle_close``.
_DISCONNECTED = frozenset(
    {
        errno.ECONNRESET,
        errno.ENOTCONN,
        errno.ESHUTDOWN,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.EBADF,
    }
)
_POLL_CLOSED = getattr(select, "POLLHUP", 0) | getattr(select, "POLLERR", 0)
_POLL_CLOSED |= getattr(select, "POLLNVAL", 0)


def _wants_write(obj: Any) -> bool:
    """asyncore's rule: a listening (accepting) dispatcher is never writable."""
    return bool(obj.writable()) and not getattr(obj, "accepting", False)


def _serve_event(obj: Any, handler: Callable[[], None], disconnect_closes: bool) -> None:
    """Call one ``handle_*`` of a dispatcher the way asyncore does: ``ExitNow``,
    ``KeyboardInterrupt`` and ``SystemExit`` end the loop, anything else goes to
    the dispatcher's ``handle_error``."""
    try:
        handler()
    except (KeyboardInterrupt, SystemExit):
        raise
    except OSError as exc:
        if disconnect_closes and exc.errno in _DISCONNECTED:
            obj.handle_close()
        else:
            obj.handle_error()
    except BaseException as exc:
        if _bridge.is_exit_now(exc):
            raise
        obj.handle_error()


def _poll_with_poll(timeout: Optional[float], socket_map: SocketMap) -> None:
    """asyncore's ``poll2``: one ``poll()`` call over the map."""
    pollster = select.poll()
    for fd, obj in list(socket_map.items()):
        flags = select.POLLIN | select.POLLPRI if obj.readable() else 0
        if _wants_write(obj):
            flags |= select.POLLOUT
        if flags:
            pollster.register(fd, flags)
    milliseconds = None if timeout is None else int(timeout * 1000)
    for fd, flags in pollster.poll(milliseconds):
        obj = socket_map.get(fd)
        if obj is not None:
            _serve_flags(obj, flags)


def _serve_flags(obj: Any, flags: int) -> None:
    """asyncore's ``readwrite``: the handlers for what ``poll()`` reported."""

    def serve() -> None:
        if flags & select.POLLIN:
            obj.handle_read_event()
        if flags & select.POLLOUT:
            obj.handle_write_event()
        if flags & select.POLLPRI:
            obj.handle_expt_event()
        if flags & _POLL_CLOSED:
            obj.handle_close()

    _serve_event(obj, serve, disconnect_closes=True)


def _poll_with_selector(timeout: Optional[float], socket_map: SocketMap) -> None:
    """asyncore's ``poll`` on a selector instead of ``select()``: all reads, then all
    writes; with nothing to watch, sleep ``timeout`` as asyncore did. ``poll()``, not
    epoll: it holds no descriptor of its own and takes any kind of file."""
    selector_class = getattr(selectors, "PollSelector", selectors.DefaultSelector)
    with selector_class() as selector:
        for fd, obj in list(socket_map.items()):
            events = selectors.EVENT_READ if obj.readable() else 0
            events |= selectors.EVENT_WRITE if _wants_write(obj) else 0
            if events:
                selector.register(fd, events)
        if not selector.get_map():
            time.sleep(timeout or 0.0)
            return
        ready = selector.select(timeout)
    for wanted, handler_name in (
        (selectors.EVENT_READ, "handle_read_event"),
        (selectors.EVENT_WRITE, "handle_write_event"),
    ):
        for key, events in ready:
            obj = socket_map.get(key.fd)
            if obj is not None and events & wanted:
                _serve_event(obj, getattr(obj, handler_name), disconnect_closes=False)


def close_all(map: Optional[SocketMap] = None, ignore_all: bool = False) -> None:
    """``asyncore.close_all()``: close every server in the map."""
    socket_map = default_socket_map() if map is None else map
    for obj in list(socket_map.values()):
        try:
            obj.close()
        except OSError:
            if not ignore_all:
                raise
    socket_map.clear()

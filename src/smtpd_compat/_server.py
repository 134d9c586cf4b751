"""The legacy server classes: ``SMTPServer``, ``DebuggingServer``, ``PureProxy``.

``SMTPServer`` binds and listens in ``__init__`` as the stdlib did, then hands the
socket to the shared event loop (``_bridge``), which the program's loop runs. To
the program it still looks like an asyncore dispatcher: while open it keeps
entries in its ``map`` (by default ``asyncore.socket_map``): a wake-up socket and
the event loop's selector, so ``asyncore.loop()``
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
    local_fqdn,
    package,
)
from ._environment import check_environment, env_flag
from ._lifecycle import Server as ServerState
from ._threads import EventLoopThread, ProgramLoopJobs, WorkerPool

log = logging.getLogger("smtpd_compat")
#: Read on every poll: a global, not an Enum class attribute (see ``_bridge``).
LISTENING = ServerState.LISTENING

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


ACCEPTS_PER_WAKE = 64  # a burst of connects is accepted in one pass of the loop

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
    #: Bytes of message bodies that may wait for ``process_message``; past it, the
    #: server's sessions stop reading until user code catches up.
    queued_bytes_limit: int = 64 * 1024 * 1024

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
        self._state = ServerState.LISTENING
        self._connections: Set[Any] = set()
        self._pending_accept: Optional[Tuple[Any, Any]] = None
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

    def _listen(self, localaddr: Tuple[Any, ...]) -> Any:
        """Create, bind and listen as legacy did, through the dispatcher methods a
        subclass may override; errors raise here, as OSError.

        Through ``socket`` as the package has it: CPython's test_smtpd patches
        ``smtpd.socket`` with its mock module, as legacy's dispatcher allowed."""
        sockets: Any = package().socket
        host, port = localaddr[:2]
        family, socktype = sockets.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][:2]
        self.create_socket(family, socktype)
        try:
            self.set_reuse_addr()
            self.bind(localaddr)
            self.listen(_bridge.LISTEN_BACKLOG)
        except BaseException:
            self.socket.close()
            raise
        return self.socket

    # the dispatcher methods legacy's __init__ went through (subclasses hook them)

    def create_socket(self, family: int = socket.AF_INET, type: int = socket.SOCK_STREAM) -> None:
        sock = package().socket.socket(family, type)
        sock.setblocking(False)
        self.socket = sock

    def set_reuse_addr(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    def bind(self, addr: Any) -> None:
        self.addr = addr
        self.socket.bind(addr)

    def listen(self, num: int) -> None:
        self.socket.listen(num)

    def _start(self) -> None:
        """Join the program's map: its loop accepts; user code runs where it runs."""
        self._session_options = dict(
            data_size_limit=self.data_size_limit,
            enable_SMTPUTF8=self.enable_SMTPUTF8,
            decode_data=self._decode_data,
            hostname=local_fqdn(),  # resolved here, on the program's thread
            tls_context=self.tls_context,
            require_starttls=self.require_starttls,
            timeout=self.timeout,
            proxy_protocol_timeout=self.proxy_protocol_timeout if self.proxy_protocol else None,
        )
        self._bodies = _bridge.BodyBudget(self.queued_bytes_limit)
        self._program_jobs = ProgramLoopJobs.for_map(self._map)
        self._program_jobs.busy_hooks.append(self._accept_while_busy)
        self._program_jobs.watch_hooks.append(self._watch_listening_socket)
        self._watched_by: Optional[EventLoopThread] = None
        self._workers: Optional[WorkerPool] = None
        if self.concurrency > 1:
            self._workers = WorkerPool(self.concurrency, "smtpd_compat-worker")
        self._map[self.socket.fileno()] = self
        _open_servers.add(self)
        install_graceful_sigterm()

    @property
    def serving(self) -> bool:
        return self._state is LISTENING

    @property
    def _jobs(self) -> Any:
        """Where user code runs: the program's loop thread, or the opt-in pool."""
        return self._workers if self._workers is not None else self._program_jobs

    @property
    def _jobs_on_program_thread(self) -> bool:
        return self._workers is None

    def _accepts_inline(self) -> bool:
        """Accepting runs on the event loop only when no user code is involved."""
        return (
            _bridge.is_stock(self, "handle_accepted", SMTPServer)
            and _bridge.is_stock(self, "handle_accept", SMTPServer)
            and self.channel_class is SMTPChannel
        )

    def _accept_connection(self, conn: Any, addr: Any) -> None:
        """On the program's loop thread: the legacy accept hooks, ``handle_accept``
        first if overridden (its ``self.accept()`` gets this connection)."""
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
        """The connection being accepted (for Py2-style ``handle_accept``
        overrides); outside one, the listening socket's next connection, as
        ``asyncore.dispatcher.accept`` gave it (None when there is none)."""
        if self._pending_accept is not None:
            return self._pending_accept
        try:
            pair: Tuple[Any, Any] = self.socket.accept()
        except (BlockingIOError, InterruptedError):
            return None
        return pair

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

    # -- the asyncore face: the listening socket in the program's map -----------

    def fileno(self) -> int:
        fileno: int = self.socket.fileno()
        return fileno

    def getsockname(self) -> Any:
        return self.socket.getsockname()

    def readable(self) -> bool:
        return self._state is LISTENING  # (serving: asked on every poll)

    def writable(self) -> bool:
        return False

    def handle_read_event(self) -> None:
        """Clients are waiting: accept them here, in the program's loop, and hand
        each socket to the shared event loop, which this thread then runs at once
        (banners go out without another turn of the program's loop; hooks run
        right after, on this thread)."""
        if self._accept_waiting():
            self._program_jobs.serve()

    def _accept_waiting(self) -> bool:
        """Accept what the backlog holds; True if this thread should run the loop."""
        run_loop = False
        for _ in range(ACCEPTS_PER_WAKE):
            if not self.serving:
                break
            try:
                sock, _addr = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # EMFILE, ECONNABORTED: legacy let the loop go on
                log.warning("accept failed: %s", exc)
                break
            run_loop = _bridge.adopt(self, sock, self._session_options) or run_loop
        return run_loop

    def handle_write_event(self) -> None:
        pass

    def handle_expt_event(self) -> None:
        pass

    def handle_close(self) -> None:
        self.close()

    # While the program's loop runs user code (a slow ``process_message``), it is
    # not polling; once the helper takes the event loop over, the event loop
    # accepts on its behalf so new clients still get a banner. That ends when the
    # helper hands the loop back (the program's loop came round), or at the first
    # connect that finds the program's loop idle (or gone): then the program's
    # loop accepts again, or nobody does, as in legacy. A program loop that
    # serves without stalling never pays for it.

    def _accept_while_busy(self) -> None:
        """On the program's loop thread, before it runs user code while the
        helper already runs the event loop (it took over before we came round)."""
        engine = self._program_jobs.engine
        if self._watched_by is engine or not self.serving:
            return
        try:
            engine.call(self._watch_listening_socket, engine)
        except RuntimeError:  # the loop is closed: nothing left to accept for
            pass

    def _watch_listening_socket(self, engine: EventLoopThread) -> None:
        """With the baton (the helper taking over, or an iteration): accept on
        the event loop."""
        with self._close_lock:  # a close() meanwhile sees _watched_by and unwatches
            if not self.serving or self._watched_by is engine or engine.loop.is_closed():
                return
            self._watched_by = engine
        engine.watching.append(self)
        engine.loop.add_reader(self.socket.fileno(), self._accept_on_event_loop, engine)

    def _accept_on_event_loop(self, holder: EventLoopThread) -> None:
        if not (self.serving and self._program_jobs.running_jobs):
            self._unwatch_listening_socket(holder)
            return
        for _ in range(ACCEPTS_PER_WAKE):
            try:
                sock, _addr = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("accept failed: %s", exc)
                return
            _bridge.adopt(self, sock, self._session_options)

    def _unwatch_listening_socket(self, engine: EventLoopThread) -> None:
        """With the baton: leave accepting to the program's loop."""
        if self._watched_by is engine:
            self._watched_by = None
            if self in engine.watching:
                engine.watching.remove(self)
            engine.loop.remove_reader(self.socket.fileno())

    def _stop_watching(self) -> None:
        """Before the listening socket closes: no event loop may still watch it
        (the loop outlives sessions: it lives while a server is open)."""
        engine = self._program_jobs.engine
        if self._watched_by is not engine or engine.loop.is_closed():
            return
        if engine.running_here():
            self._unwatch_listening_socket(engine)
            return

        async def unwatch() -> None:
            self._unwatch_listening_socket(engine)

        engine.run(unwatch(), 10)

    def _exit_loop(self, exc: BaseException) -> None:
        """User code raised ``asyncore.ExitNow`` (or SystemExit) off the program's
        thread: end the program's loop with it, as before."""
        self._program_jobs.exit_loop(exc)

    # -- shutdown ----------------------------------------------------------------

    def close(self) -> None:
        """Stop serving: the port is released at once; transactions under way get
        ``drain_timeout`` to finish. Idempotent, from any thread; from the program's
        own loop thread (say inside ``process_message``) it does not wait, since
        the user code it would wait for runs on this very thread."""
        with self._close_lock:
            if self._state is not ServerState.LISTENING:
                return
            self._state = ServerState.CLOSING
        _open_servers.discard(self)
        if self._map.get(self.socket.fileno()) is self:
            del self._map[self.socket.fileno()]
        self._program_jobs.busy_hooks.remove(self._accept_while_busy)
        self._program_jobs.watch_hooks.remove(self._watch_listening_socket)
        self._stop_watching()
        self._release_port()
        try:
            self._drain_sessions()
        finally:
            if self._workers is not None:
                self._workers.shutdown(self.drain_timeout)
            self._program_jobs.release()
            self._state = ServerState.CLOSED

    def _release_port(self) -> None:
        """Stop listening now; the fd itself is closed where the program's loop
        cannot be selecting on it (a closed fd there would be EBADF)."""
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):  # never connected; a mock socket
            pass
        self._program_jobs.retire(self.socket)

    def _drain_sessions(self) -> None:
        holder = EventLoopThread.acquire_existing()
        if holder is None:
            return
        try:
            sessions = set(self._connections)
            if not sessions:
                return
            if self._cannot_wait_for_user_code():
                for job in self._program_jobs.cancel_unstarted(lambda j: j.owner in sessions):
                    holder.call(job.owner.force_close)
                holder.call(self._drain_in_background, sessions, holder.loop)
                return
            drain = _bridge.drain_sessions(sessions, self.drain_timeout)
            holder.run(drain, self.drain_timeout + 10)
        finally:
            holder.release()

    def _cannot_wait_for_user_code(self) -> bool:
        """On the thread that would run the user code we would wait for (or the
        event loop: a signal handler that closes inside one of its iterations)."""
        if EventLoopThread._current is not None and EventLoopThread._current.running_here():
            return True
        if self._workers is not None:
            return self._workers.owns_current_thread()
        return self._program_jobs.on_current_thread()

    def _drain_in_background(self, sessions: Set[Any], loop: Any) -> None:
        """On the event loop: drain without anyone waiting (closed from user code)."""
        holder = EventLoopThread.acquire()
        task = loop.create_task(_bridge.drain_sessions(sessions, self.drain_timeout))
        task.add_done_callback(lambda _task: holder.release())

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
    """Relays each message to ``remoteaddr`` with smtplib (where user code runs)."""

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

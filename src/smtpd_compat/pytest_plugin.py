"""pytest fixtures for code that sends mail, and for legacy smtpd servers under test.

Installed with the package (entry point ``pytest11`` named ``smtpd_compat``; turn it
off with ``-p no:smtpd_compat``):

- ``smtp_sink``: a recording SMTP server on 127.0.0.1, a fresh port for every test;
  ``@pytest.mark.smtp_sink(...)`` sets its options.
- ``smtp_sink_factory(**options)``: more sinks, or sinks built inside the test.
- ``legacy_smtpd_factory(YourServer, ...)``: your own ``SMTPServer`` subclass,
  unchanged, with ``smtpd_compat.loop`` running over a private map on a thread of
  its own, as legacy fixtures did with ``Thread(target=asyncore.loop)``.

The rule: nothing outlives its test. Every server is closed and its loop thread
joined with a timeout at teardown, a loop that does not return fails the test, and
nothing is shared between tests, so pytest-xdist workers cannot collide.
"""

from __future__ import annotations

import email
import email.policy
import hmac
import inspect
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import pytest

import smtpd_compat

HOST = "127.0.0.1"
#: Seconds a teardown waits for a loop thread, and the default wait for messages.
TIMEOUT = 10.0
MARKER = "smtp_sink"
#: The loop's select() timeout: only bounds the wait if close() races a select().
LOOP_TIMEOUT = 1.0

Reply = Union[None, str, Callable[["ReceivedMessage"], Optional[str]]]


@dataclass(frozen=True)
class ReceivedMessage:
    """One ``process_message`` call, as the sink saw it."""

    peer: Any
    mailfrom: str
    rcpttos: List[str]
    #: What ``process_message`` got: bytes, or str with ``decode_data=True``.
    data: Union[bytes, str]
    mail_options: List[str] = field(default_factory=list)
    rcpt_options: List[str] = field(default_factory=list)

    @property
    def raw(self) -> bytes:
        """The message as bytes: dot-unstuffed, lines joined with LF (legacy ``data``)."""
        return self.data.encode("utf-8") if isinstance(self.data, str) else self.data

    @property
    def message(self) -> EmailMessage:
        """The message parsed with ``email.policy.default``."""
        return email.message_from_bytes(self.raw, policy=email.policy.default)


@dataclass(frozen=True)
class SinkOptions:
    """What ``@pytest.mark.smtp_sink(...)`` and ``smtp_sink_factory(...)`` accept."""

    starttls: bool = False
    require_starttls: bool = False
    users: Optional[Mapping[str, str]] = None
    auth_required: bool = False
    #: None: AUTH needs TLS exactly when the sink offers STARTTLS.
    auth_require_tls: Optional[bool] = None
    data_size_limit: int = smtpd_compat.DATA_SIZE_DEFAULT
    decode_data: bool = False
    enable_SMTPUTF8: bool = False
    reply: Reply = None
    channel_class: Optional[type] = None


class SMTPSink:
    """A recording SMTP server: ``messages`` were accepted, ``refused`` got ``reply``.

    Set ``reply`` (a ``"451 ..."`` string, or a callable taking the
    :class:`ReceivedMessage`) to answer messages with a 4xx/5xx instead of 250.
    """

    def __init__(self, options: SinkOptions, client_context: Optional[ssl.SSLContext]) -> None:
        self.reply: Reply = options.reply
        self.users = dict(options.users or {})
        #: A client ``SSLContext`` that trusts the sink's certificate (with ``starttls``).
        self.client_context = client_context
        #: The CA certificate (PEM) for clients configured by file (with ``starttls``).
        self.ca_cert_path: Optional[Path] = None
        self.messages: List[ReceivedMessage] = []
        self.refused: List[Tuple[ReceivedMessage, str]] = []
        self._changed = threading.Condition()
        self.server: smtpd_compat.SMTPServer

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        port: int = self.server.socket.getsockname()[1]
        return port

    @property
    def addr(self) -> Tuple[str, int]:
        return (self.host, self.port)

    @property
    def outbox(self) -> List[EmailMessage]:
        """The accepted messages, parsed (``pytest-localserver``'s name)."""
        return [received.message for received in self.messages]

    def smtp(self, timeout: float = TIMEOUT) -> smtplib.SMTP:
        """An ``smtplib.SMTP`` client connected to the sink (use it in ``with``)."""
        return smtplib.SMTP(self.host, self.port, timeout=timeout)

    def wait_for(self, count: int = 1, timeout: float = TIMEOUT) -> List[ReceivedMessage]:
        """Block until ``count`` messages were accepted (mail sent by a background
        task); raise ``TimeoutError`` with what did arrive otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(
                    "%d message(s) expected within %ss, %d accepted, %d refused"
                    % (count, timeout, len(self.messages), len(self.refused))
                )
            return list(self.messages)

    def clear(self) -> None:
        with self._changed:
            self.messages.clear()
            self.refused.clear()

    def record(self, received: ReceivedMessage) -> Optional[str]:
        """Called by the server for each message: the reply it sends (None: 250)."""
        reply = self.reply(received) if callable(self.reply) else self.reply
        with self._changed:
            if reply is None or reply.startswith("2"):
                self.messages.append(received)
            else:
                self.refused.append((received, reply))
            self._changed.notify_all()
        return reply

    def __repr__(self) -> str:
        return "<SMTPSink %s:%d, %d message(s)>" % (self.host, self.port, len(self.messages))


class SinkServer(smtpd_compat.SMTPServer):
    """The legacy server behind an :class:`SMTPSink`: it hands each message over."""

    sink: SMTPSink

    def process_message(
        self, peer: Any, mailfrom: str, rcpttos: List[str], data: Any, **kwargs: Any
    ) -> Optional[str]:
        received = ReceivedMessage(
            peer,
            mailfrom,
            list(rcpttos),
            data,
            list(kwargs.get("mail_options") or []),
            list(kwargs.get("rcpt_options") or []),
        )
        return self.sink.record(received)


class ServedLoop:
    """``loop(map=...)`` on a thread of its own, as legacy fixtures ran asyncore.

    With a private map the loop returns once the server is closed. A server that
    registered in a shared map (its ``__init__`` takes no ``map``) gets a loop of
    single passes instead, which stops once that server has left the map."""

    def __init__(self, server: Any, private_map: Dict[int, Any], loop: Callable[..., Any]):
        self.server = server
        self.socket_map: Dict[int, Any] = getattr(server, "_map", private_map)
        self.private = self.socket_map is private_map
        self.loop = loop
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(
            target=self._run, name="smtpd_compat-test-loop %r" % (server,), daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        try:
            if self.private:
                self.loop(map=self.socket_map, timeout=LOOP_TIMEOUT)
                return
            while self._serving():
                self.loop(map=self.socket_map, timeout=LOOP_TIMEOUT, count=1)
        except BaseException as exc:
            # asyncore.ExitNow from user code ends the loop, as it did legacy's. A
            # select() on the wake-up socket that close() just closed is that race.
            if type(exc).__name__ != "ExitNow" and self._serving():
                self.error = exc

    def _serving(self) -> bool:
        return any(obj is self.server for obj in list(self.socket_map.values()))

    def stop(self) -> None:
        """Close the server, join the loop thread; fail loudly if it hangs or raised."""
        self.server.close()
        self.thread.join(TIMEOUT)
        if self.thread.is_alive():
            raise RuntimeError(
                "the loop serving %r did not return within %ss of close(): something "
                "else is still open in its map" % (self.server, TIMEOUT)
            )
        if self.error is not None:
            raise RuntimeError("the loop serving %r raised" % (self.server,)) from self.error


class ServerPool:
    """Every server one test started; all stopped at its teardown, in reverse order."""

    def __init__(self, loop: Callable[..., Any] = smtpd_compat.loop) -> None:
        self.loop = loop
        self.served: List[ServedLoop] = []

    def serve(self, factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = kwargs.pop("loop", self.loop)
        private_map: Dict[int, Any] = {}
        if "map" not in kwargs and accepts_keyword(factory, "map"):
            kwargs["map"] = private_map
        server = factory(*args, **kwargs)
        self.served.append(ServedLoop(server, private_map, loop))
        return server

    def stop_all(self) -> None:
        errors: List[BaseException] = []
        while self.served:
            try:
                self.served.pop().stop()
            except Exception as exc:  # close the others first, then report
                errors.append(exc)
        if errors:
            raise errors[0]


def accepts_keyword(factory: Callable[..., Any], name: str) -> bool:
    """Does ``factory(..., name=...)`` work (a parameter of that name, or ``**kwargs``)?"""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.name == name and p.kind is not p.POSITIONAL_ONLY or p.kind is p.VAR_KEYWORD
        for p in parameters
    )


class CertificateAuthority:
    """A ``trustme`` CA for the test session: server certificates, trusting clients."""

    def __init__(self, directory: Path) -> None:
        try:
            import trustme
        except ImportError:
            raise RuntimeError(
                "smtp_sink(starttls=True) needs trustme: pip install 'smtpd-compat[pytest]'"
            ) from None
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert(HOST, "localhost", "::1")
        self.cert_path = directory / "smtp_sink_ca.pem"
        self._ca.cert_pem.write_to_path(str(self.cert_path))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Verifies the certificate and host name, and trusts the test CA only
        (not the system's CAs: loading those cost most of a sink's start-up)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._ca.configure_trust(context)
        return context


def users_authenticator(users: Mapping[str, str]) -> Callable[..., Any]:
    """An aiosmtpd-style authenticator for a fixed table of users."""
    from aiosmtpd.smtp import AuthResult

    table = {user.encode("utf-8"): pw.encode("utf-8") for user, pw in users.items()}

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        expected = table.get(auth.login)
        ok = expected is not None and hmac.compare_digest(expected, auth.password)
        return AuthResult(success=ok, handled=False)

    return authenticate


def start_sink(
    pool: ServerPool, options: SinkOptions, ca: Callable[[], CertificateAuthority]
) -> SMTPSink:
    """Build a sink and serve it through ``pool``."""
    authority = ca() if options.starttls else None
    sink = SMTPSink(options, authority.client_context() if authority else None)
    sink.ca_cert_path = authority.cert_path if authority else None
    extra: Dict[str, Any] = {}
    if authority is not None:
        extra.update(
            tls_context=authority.server_context(), require_starttls=options.require_starttls
        )
    if options.users:
        require_tls = options.auth_require_tls
        extra.update(
            authenticator=users_authenticator(options.users),
            auth_required=options.auth_required,
            auth_require_tls=options.starttls if require_tls is None else require_tls,
        )
    attributes: Dict[str, Any] = {"sink": sink}
    if options.channel_class is not None:
        attributes["channel_class"] = options.channel_class
    server_class = type("SinkServer", (SinkServer,), attributes)
    sink.server = pool.serve(
        server_class,
        (HOST, 0),
        None,
        options.data_size_limit,
        enable_SMTPUTF8=options.enable_SMTPUTF8,
        decode_data=options.decode_data,
        **extra,
    )
    return sink


# -- fixtures ------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "smtp_sink(**options): options of the smtp_sink fixture (starttls, users, "
        "auth_required, data_size_limit, decode_data, reply, channel_class...)",
    )


@pytest.fixture(scope="session")
def smtp_sink_ca(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], CertificateAuthority]:
    """The session's test CA, made on first use (STARTTLS sinks only)."""
    made: List[CertificateAuthority] = []

    def get() -> CertificateAuthority:
        if not made:
            made.append(CertificateAuthority(tmp_path_factory.mktemp("smtp_sink_ca")))
        return made[0]

    return get


@pytest.fixture
def legacy_smtpd_factory() -> Iterator[Callable[..., Any]]:
    """Serve your own legacy server for this test: ``legacy_smtpd_factory(Cls)``
    builds ``Cls(("127.0.0.1", 0), None, map=<private map>)`` (other arguments
    are passed on) and runs ``smtpd_compat.loop`` over it on a thread (``loop=``
    for another function of its signature, e.g. ``asyncore.loop``). Returns your
    server; closed after the test."""
    pool = ServerPool()

    def serve(server_class: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return pool.serve(server_class, *(args or ((HOST, 0), None)), **kwargs)

    yield serve
    pool.stop_all()


@pytest.fixture
def smtp_sink_factory(
    smtp_sink_ca: Callable[[], CertificateAuthority],
) -> Iterator[Callable[..., SMTPSink]]:
    """Start recording sinks with options (see :class:`SinkOptions`)."""
    pool = ServerPool()

    def start(**options: Any) -> SMTPSink:
        return start_sink(pool, SinkOptions(**options), smtp_sink_ca)

    yield start
    pool.stop_all()


@pytest.fixture
def smtp_sink(
    request: pytest.FixtureRequest, smtp_sink_factory: Callable[..., SMTPSink]
) -> SMTPSink:
    """A recording SMTP sink on 127.0.0.1, new for each test; options from
    ``@pytest.mark.smtp_sink(...)``."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None and marker.args:
        raise TypeError("@pytest.mark.smtp_sink takes keyword arguments only")
    return smtp_sink_factory(**(marker.kwargs if marker else {}))

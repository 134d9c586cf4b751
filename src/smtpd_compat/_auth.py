"""AUTH PLAIN and LOGIN (RFC 4954) for legacy channels that never had AUTH.

The exchange runs inside the legacy dialogue (every line still passes through
``found_terminator``); checking the credentials is user code, so it runs where
user code runs (the program's loop thread) through the connection's ``defer``.
Credentials come from an aiosmtpd-style ``authenticator`` callable or from a file
of bcrypt hashes (``user:$2b$...`` lines, as ``htpasswd -B`` writes them).
Credentials are never logged, nor shown on ``DEBUGSTREAM`` (``-d``); a failed
check looks the same, in reply and in bcrypt work, whether the user exists or not.
"""

from __future__ import annotations

import base64
import binascii
import collections
import logging
from typing import Any, Callable, Dict, Iterable, Optional

from aiosmtpd.smtp import AuthResult, LoginPassword

log = logging.getLogger("smtpd_compat")

USERNAME_CHALLENGE = "334 VXNlcm5hbWU6"  # base64 "Username:"
PASSWORD_CHALLENGE = "334 UGFzc3dvcmQ6"  # base64 "Password:"
MECHANISMS = ("LOGIN", "PLAIN")
REDACTED = "****"
#: bcrypt reads at most 72 bytes of a password (bcrypt 5 refuses longer ones).
BCRYPT_MAX_PASSWORD = 72
DEFAULT_BCRYPT_COST = 12


class AuthExchange:
    """``smtp_AUTH`` for :class:`SMTPChannel`: offered only when the server has
    credentials; otherwise the command stays unknown, as in the stdlib."""

    _auth_step: Optional[Callable[[str], None]] = None
    authenticated_user: Optional[str] = None

    # provided by SMTPChannel
    _engine: Any  # the LegacyConnection, or a DirectEngine (no AUTH)
    seen_greeting: str
    mailfrom: Optional[str]
    num_bytes: int
    push: Callable[[str], None]

    def smtp_AUTH(self, arg: Optional[str]) -> None:
        error = self._auth_refusal(arg)
        if error:
            self.push(error)
            return
        assert arg is not None
        mechanism, _, initial = arg.partition(" ")
        if mechanism.upper() == "PLAIN":
            self._auth_plain(initial.strip() or None)
        else:
            self._auth_login(initial.strip() or None)

    def _auth_refusal(self, arg: Optional[str]) -> Optional[str]:
        """The reply that refuses this AUTH command, or None to go ahead."""
        if not self._engine.auth_configured():
            return '500 Error: command "AUTH" not recognized'
        if not self.seen_greeting:
            return "503 Error: send EHLO first"
        if not self._engine.auth_allowed_now():
            return "538 5.7.11 Encryption required for requested authentication mechanism"
        if self.authenticated_user is not None:
            return "503 Already authenticated"
        if self.mailfrom:
            return "503 Error: AUTH not allowed during a mail transaction"
        if not arg:
            return "501 Syntax: AUTH <mechanism> [initial-response]"
        if arg.split(" ", 1)[0].upper() not in MECHANISMS:
            return "504 5.5.4 Unrecognized authentication type"
        return None

    def _auth_plain(self, response: Optional[str]) -> None:
        if response is None:
            self._challenge("334 ", self._auth_plain)
            return
        decoded = self._decode(response)
        if decoded is None:
            return
        parts = decoded.split(b"\0")
        if len(parts) != 3:
            self.push("501 5.5.2 Can't split auth value")
            return
        self._check("PLAIN", parts[1], parts[2])

    def _auth_login(self, response: Optional[str], login: Optional[bytes] = None) -> None:
        if response is None:
            self._challenge(USERNAME_CHALLENGE, self._auth_login)
            return
        decoded = self._decode(response)
        if decoded is None:
            return
        if login is None:
            self._challenge(PASSWORD_CHALLENGE, lambda answer: self._auth_login(answer, decoded))
            return
        self._check("LOGIN", login, decoded)

    def _challenge(self, text: str, step: Callable[..., None]) -> None:
        def answer(line: str) -> None:
            if line == "*":
                self.push("501 5.7.0 Auth aborted")
            else:
                step(line)

        self._auth_step = answer
        self.push(text)

    def _decode(self, response: str) -> Optional[bytes]:
        if response == "=":
            return b""
        try:
            return base64.b64decode(response, validate=True)
        except (binascii.Error, ValueError):
            self.push("501 5.5.2 Can't decode base64")
            return None

    def _check(self, mechanism: str, login: bytes, password: bytes) -> None:
        credentials = LoginPassword(login, password)
        self._engine.defer(
            lambda: self._engine.authenticate(mechanism, credentials),
            lambda ok: self._auth_done(ok, mechanism, login),
        )

    def _auth_done(self, ok: bool, mechanism: str, login: bytes) -> None:
        user = login.decode("utf-8", "replace")
        if ok:
            self.authenticated_user = user
            self.push("235 2.7.0 Authentication successful")
            log.info("%r AUTH %s succeeded for %r", self._engine.getpeername(), mechanism, user)
        else:
            self.push("535 5.7.8 Authentication credentials invalid")
            log.warning("%r AUTH %s failed for %r", self._engine.getpeername(), mechanism, user)

    def _take_auth_line(self, line: Any) -> bool:
        """In the middle of an exchange, the line is the client's answer.

        It is a line of its own, as a command is: the command size count restarts."""
        step, self._auth_step = self._auth_step, None
        if step is None:
            return False
        self.num_bytes = 0
        step(line if isinstance(line, str) else line.decode("ascii", "replace"))
        return True

    def _loggable_line(self, line: Any) -> Any:
        """The received line as ``DEBUGSTREAM`` may show it: credentials masked.

        An answer inside an AUTH exchange is masked whole; ``AUTH <mechanism>
        <initial response>`` keeps its first two words."""
        text = isinstance(line, str)
        mask = REDACTED if text else REDACTED.encode()
        if self._auth_step is not None:
            return mask
        words = line.split(None, 2)
        if len(words) == 3 and words[0].upper() == ("AUTH" if text else b"AUTH"):
            return (" " if text else b" ").join(words[:2] + [mask])
        return line


def auth_succeeded(result: Any) -> bool:
    """An authenticator may answer an aiosmtpd ``AuthResult`` or a plain bool."""
    return bool(result.success) if isinstance(result, AuthResult) else bool(result)


class CredentialsFile:
    """An aiosmtpd authenticator backed by ``user:bcrypt-hash`` lines.

    Loaded once at start-up: a missing file, a missing ``bcrypt`` package or a line
    that is not a bcrypt hash is a clear error then, naming the file and line."""

    def __init__(self, path: str) -> None:
        try:
            import bcrypt
        except ImportError:
            raise RuntimeError(
                "a credentials file needs bcrypt: pip install 'smtpd-compat[auth]'"
            ) from None
        self._checkpw = bcrypt.checkpw
        self.path = path
        self.hashes = self._load(path)
        cost = usual_cost(self.hashes.values())
        self._dummy_hash: bytes = bcrypt.hashpw(b"no such user", bcrypt.gensalt(rounds=cost))

    @staticmethod
    def _load(path: str) -> Dict[bytes, bytes]:
        hashes: Dict[bytes, bytes] = {}
        try:
            lines = open(path, "rb")
        except OSError as exc:
            raise OSError(
                exc.errno,
                "cannot read credentials file %r (auth_file=, SMTPD_COMPAT_AUTH_FILE, "
                "--auth-file): %s" % (path, exc.strerror),
            ) from None
        with lines:
            for number, raw in enumerate(lines, 1):
                line = raw.strip()
                if not line or line.startswith(b"#"):
                    continue
                user, sep, hashed = line.partition(b":")
                if not sep or not hashed.startswith((b"$2a$", b"$2b$", b"$2y$")):
                    raise ValueError(
                        "%s:%d: expected 'user:<bcrypt hash>' (htpasswd -B)" % (path, number)
                    )
                hashes[user] = hashed
        return hashes

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        hashed = self.hashes.get(auth_data.login)
        password = auth_data.password
        if hashed is None or len(password) > BCRYPT_MAX_PASSWORD:
            # Refused, after the same bcrypt work as a real check: neither the reply
            # nor its timing tells whether the user name exists.
            self._matches(password[:BCRYPT_MAX_PASSWORD], self._dummy_hash)
            return AuthResult(success=False, handled=False)
        return AuthResult(success=self._matches(password, hashed), handled=False)

    def _matches(self, password: bytes, hashed: bytes) -> bool:
        """bcrypt's check; a password bcrypt refuses (a NUL byte, for some versions)
        is a wrong password, not an error that would answer 451."""
        try:
            return bool(self._checkpw(password, hashed))
        except ValueError:
            return False


def usual_cost(hashes: Iterable[bytes]) -> int:
    """The most common bcrypt cost in the file (``$2b$12$...`` -> 12)."""
    costs = collections.Counter(
        int(hashed[4:6]) for hashed in hashes if hashed[4:6].isdigit()
    ).most_common(1)
    return costs[0][0] if costs else DEFAULT_BCRYPT_COST

"""The life of a session and of a server, as data (h11 style).

Each life cycle is a set of states and a table of allowed transitions; anything not
in the table is a bug and raises :class:`LifecycleError` instead of leaving a session
half-open. The engine (``_bridge``) fires events; the tests walk every state x event
pair. Nothing here knows SMTP or asyncio.
"""

from __future__ import annotations

import enum
from typing import Dict, Tuple


class LifecycleError(RuntimeError):
    """An event that cannot happen in the current state: an engine bug."""


class Session(enum.Enum):
    #: Members are singletons: identity hashing is right and, unlike Enum's own
    #: ``hash(self._name_)`` in Python, costs nothing (several lookups per message).
    __hash__ = object.__hash__

    ACCEPTING = "accepting"  # adopted: PROXY header, then the accept hooks
    SERVING = "serving"  # the dialogue reads input
    IN_USER_CODE = "in user code"  # a job runs (or waits) on the program's loop thread
    SWITCHING_TLS = "switching to TLS"  # the STARTTLS handshake
    DRAINING = "draining"  # close() asked: finish the transaction in DATA, then 421
    DRAINING_IN_USER_CODE = "draining in user code"  # ... whose process_message runs
    CLOSED = "closed"


class Event(enum.Enum):
    __hash__ = object.__hash__  # as Session's

    ACCEPTED = "accept hooks done"
    JOB_STARTED = "user code handed over"
    JOB_DONE = "user code returned"
    STARTTLS = "STARTTLS accepted"
    HANDSHAKE_DONE = "TLS handshake done"
    HANDSHAKE_FAILED = "TLS handshake failed"
    SHUTDOWN = "server closing"
    TIMEOUT = "idle or PROXY timeout"
    CLOSE = "the engine closes the connection"
    LOST = "connection lost (EOF, reset)"


S, E = Session, Event

#: Events every open state answers the same way.
_ENDINGS = {E.CLOSE: S.CLOSED, E.LOST: S.CLOSED}

SESSION_TRANSITIONS: Dict[Tuple[Session, Event], Session] = {
    **{(S.ACCEPTING, e): s for e, s in _ENDINGS.items()},
    (S.ACCEPTING, E.ACCEPTED): S.SERVING,
    (S.ACCEPTING, E.JOB_STARTED): S.IN_USER_CODE,  # accept hooks on the program's thread
    (S.ACCEPTING, E.SHUTDOWN): S.CLOSED,
    (S.ACCEPTING, E.TIMEOUT): S.CLOSED,
    **{(S.SERVING, e): s for e, s in _ENDINGS.items()},
    (S.SERVING, E.JOB_STARTED): S.IN_USER_CODE,
    (S.SERVING, E.STARTTLS): S.SWITCHING_TLS,
    (S.SERVING, E.SHUTDOWN): S.DRAINING,
    (S.SERVING, E.TIMEOUT): S.CLOSED,
    **{(S.IN_USER_CODE, e): s for e, s in _ENDINGS.items()},
    (S.IN_USER_CODE, E.JOB_DONE): S.SERVING,
    (S.IN_USER_CODE, E.SHUTDOWN): S.DRAINING_IN_USER_CODE,
    (S.IN_USER_CODE, E.TIMEOUT): S.IN_USER_CODE,  # waiting for user code is not idling
    **{(S.SWITCHING_TLS, e): s for e, s in _ENDINGS.items()},
    (S.SWITCHING_TLS, E.HANDSHAKE_DONE): S.SERVING,
    (S.SWITCHING_TLS, E.HANDSHAKE_FAILED): S.CLOSED,
    (S.SWITCHING_TLS, E.SHUTDOWN): S.CLOSED,
    (S.SWITCHING_TLS, E.TIMEOUT): S.CLOSED,  # a stalled handshake
    **{(S.DRAINING, e): s for e, s in _ENDINGS.items()},
    (S.DRAINING, E.JOB_STARTED): S.DRAINING_IN_USER_CODE,
    (S.DRAINING, E.STARTTLS): S.CLOSED,  # no new TLS session while shutting down
    (S.DRAINING, E.SHUTDOWN): S.DRAINING,
    (S.DRAINING, E.TIMEOUT): S.CLOSED,
    **{(S.DRAINING_IN_USER_CODE, e): s for e, s in _ENDINGS.items()},
    (S.DRAINING_IN_USER_CODE, E.JOB_DONE): S.DRAINING,
    (S.DRAINING_IN_USER_CODE, E.SHUTDOWN): S.DRAINING_IN_USER_CODE,
    (S.DRAINING_IN_USER_CODE, E.TIMEOUT): S.DRAINING_IN_USER_CODE,
    # Closed is final; late news of a closed session changes nothing.
    **{
        (S.CLOSED, e): S.CLOSED
        for e in (
            E.JOB_DONE,
            E.HANDSHAKE_DONE,
            E.HANDSHAKE_FAILED,
            E.SHUTDOWN,
            E.TIMEOUT,
            E.CLOSE,
            E.LOST,
        )
    },
}

#: States in which user code holds the session (it must not time out or be fed).
IN_USER_CODE = frozenset({S.IN_USER_CODE, S.DRAINING_IN_USER_CODE})
#: States in which the dialogue may read and feed input.
READING = frozenset({S.SERVING, S.DRAINING})


def next_session_state(state: Session, event: Event) -> Session:
    """The state ``event`` leads to, or :class:`LifecycleError`."""
    try:
        return SESSION_TRANSITIONS[state, event]
    except KeyError:
        raise LifecycleError("session event %r in state %r" % (event.value, state.value)) from None


class Server(enum.Enum):
    """A server's life: it only moves forward, under ``SMTPServer._close_lock``."""

    LISTENING = "listening"  # in its map: accepts while the program's loop runs
    CLOSING = "closing"  # port released, sessions draining
    CLOSED = "closed"

"""The session life cycle as data: every state x event pair is either a listed
transition or an error, and the table says what the defects of issue 10 needed."""

from __future__ import annotations

import itertools

import pytest

from smtpd_compat._lifecycle import (
    IN_USER_CODE,
    SESSION_TRANSITIONS,
    Event,
    LifecycleError,
    Session,
    next_session_state,
)


@pytest.mark.parametrize("state, event", list(itertools.product(Session, Event)))
def test_every_pair_is_a_transition_or_an_error(state: Session, event: Event) -> None:
    if (state, event) in SESSION_TRANSITIONS:
        assert next_session_state(state, event) is SESSION_TRANSITIONS[state, event]
    else:
        with pytest.raises(LifecycleError, match=event.value):
            next_session_state(state, event)


@pytest.mark.parametrize("state", [s for s in Session if s is not Session.CLOSED])
def test_every_open_state_can_be_closed_and_lost(state: Session) -> None:
    """No state can strand a session: the engine can always close it, and a
    vanished client always ends it (defects 1 and 2 were sessions that could not)."""
    assert next_session_state(state, Event.CLOSE) is Session.CLOSED
    assert next_session_state(state, Event.LOST) is Session.CLOSED


def test_closed_is_final() -> None:
    for event in Event:
        if (Session.CLOSED, event) in SESSION_TRANSITIONS:
            assert next_session_state(Session.CLOSED, event) is Session.CLOSED
    for event in (Event.ACCEPTED, Event.JOB_STARTED, Event.STARTTLS):
        with pytest.raises(LifecycleError):
            next_session_state(Session.CLOSED, event)


def test_a_stalled_handshake_ends_the_session() -> None:
    """Defect 2: a timeout during the STARTTLS handshake closes the session."""
    assert next_session_state(Session.SWITCHING_TLS, Event.TIMEOUT) is Session.CLOSED
    assert next_session_state(Session.SWITCHING_TLS, Event.HANDSHAKE_FAILED) is Session.CLOSED


def test_user_code_is_never_cut_by_the_idle_timeout() -> None:
    for state in IN_USER_CODE:
        assert next_session_state(state, Event.TIMEOUT) is state


def test_shutdown_lets_running_user_code_answer() -> None:
    """Defect 3: close() while process_message runs keeps the session until it returns."""
    draining = next_session_state(Session.IN_USER_CODE, Event.SHUTDOWN)
    assert draining is Session.DRAINING_IN_USER_CODE
    assert next_session_state(draining, Event.JOB_DONE) is Session.DRAINING


def test_a_missing_proxy_header_times_out_while_accepting() -> None:
    """Defect 4: the PROXY wait is a state of its own, with its own timeout."""
    assert next_session_state(Session.ACCEPTING, Event.TIMEOUT) is Session.CLOSED

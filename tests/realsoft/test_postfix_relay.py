"""Postfix as the shim's relay client: STARTTLS (``encrypt``), AUTH PLAIN from a
static map, mail submitted with Postfix's own ``sendmail``.

How the private instance is set up, and the pitfalls of running Postfix as root
in a sandbox, are in ``postfix_instance.py``. Delivery is observed through Postfix
itself: its log (``status=sent``/``status=deferred``) and its queue
(``postqueue -p``); "exactly once" is counted after the queue is empty, when
Postfix can no longer send the message again.
"""

from __future__ import annotations

import ssl
import uuid
from pathlib import Path
from typing import Callable, Iterator, Tuple

import pytest
from postfix_instance import PrivatePostfix, instance_directory, relay_settings
from realsoft_support import LOGIN, PASSWORD, Credentials, RecordingShim, wait_until

SENDER, RECIPIENT = "sender@relay-client.test", "rcpt@example.com"
BODY_LINES = [
    "first line",
    ".leading dot",
    "..two leading dots",
    ".",
    "after a lone dot",
    "Grüße aus Köln – 日本語 ✓",
    "last line",
]

Relay = Tuple[RecordingShim, PrivatePostfix, Credentials]


def message(subject: str) -> bytes:
    headers = [
        "From: %s" % SENDER,
        "To: %s" % RECIPIENT,
        "Subject: %s" % subject,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\n".join(headers + [""] + BODY_LINES) + "\n").encode("utf-8")


@pytest.fixture
def relay(
    start_shim: Callable[..., RecordingShim],
    server_tls: ssl.SSLContext,
    credentials: Credentials,
    ca_file: Path,
) -> Iterator[Relay]:
    """A shim that demands STARTTLS and AUTH, and a Postfix that relays to it."""
    shim = start_shim(
        tls_context=server_tls,
        require_starttls=True,
        authenticator=credentials,
        auth_required=True,
    )
    with instance_directory() as root:
        settings = relay_settings(root, shim.port, ca_file, LOGIN, PASSWORD)
        postfix = PrivatePostfix(root, settings)
        try:
            yield shim, postfix, credentials
        finally:
            postfix.stop()
            print("Postfix's maillog:\n" + postfix.log())  # shown when the test failed


def unique_subject() -> str:
    return "relay test %s" % uuid.uuid4().hex


def queue_is_empty(postfix: PrivatePostfix) -> bool:
    return postfix.queue_ids() == []


def test_relayed_mail_arrives_once_with_dots_and_utf8_intact(relay: Relay) -> None:
    shim, postfix, credentials = relay
    subject = unique_subject()
    postfix.sendmail(SENDER, [RECIPIENT], message(subject))

    wait_until(lambda: postfix.log_lines(r"status=sent"), "Postfix to log status=sent")
    wait_until(lambda: queue_is_empty(postfix), "Postfix's queue to empty")
    (delivery,) = shim.with_subject(subject)
    assert delivery.mailfrom == SENDER
    assert delivery.rcpttos == [RECIPIENT]
    assert delivery.body == "\n".join(BODY_LINES).encode("utf-8")
    assert delivery.peer[0] == "127.0.0.1"
    assert "BODY=8BITMIME" in delivery.kwargs["mail_options"]
    assert credentials.mechanisms == ["PLAIN ok"]
    assert postfix.log_lines(r"Trusted TLS connection established to 127\.0\.0\.1")


def test_handler_failure_keeps_mail_queued_until_it_recovers(relay: Relay) -> None:
    shim, postfix, _ = relay
    shim.failing = True
    subject = unique_subject()
    postfix.sendmail(SENDER, [RECIPIENT], message(subject))

    deferred = wait_until(
        lambda: postfix.log_lines(r"status=deferred .*said: 451 "), "Postfix to defer on 451"
    )
    assert len(deferred) == 1
    queued = postfix.queue_ids()
    assert len(queued) == 1, postfix.queue_listing()
    assert "451" in postfix.queue_listing()
    assert shim.with_subject(subject) == [] and shim.attempts == 1

    shim.failing = False
    postfix.flush()
    wait_until(lambda: queue_is_empty(postfix), "the flushed queue to empty")
    assert len(shim.with_subject(subject)) == 1
    assert shim.attempts == 2
    (sent,) = postfix.log_lines(r"status=sent")
    assert sent.split(": ")[1] == queued[0]  # the queued message, not a copy

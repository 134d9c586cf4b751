"""The whole production shape: Postfix relays through HAProxy to two shim instances,
STARTTLS and AUTH PLAIN end to end (HAProxy passes TLS through in ``mode tcp``), the
PROXY header telling each shim who Postfix is. The settings are the ones
migration_guide.md's "Running it in production" shows.

Postfix connects from 127.0.0.2 (``smtp_bind_address``) and HAProxy from 127.0.0.1,
so a ``peer`` taken from the wrong side is caught.
"""

from __future__ import annotations

import ssl
import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, Set, Tuple

import pytest
from haproxy_instance import Address, LoadBalancer
from postfix_instance import PrivatePostfix, instance_directory, relay_settings
from realsoft_support import (
    LOGIN,
    PASSWORD,
    Credentials,
    RecordingShim,
    production_shim_options,
    wait_until,
)

POSTFIX_HOST = "127.0.0.2"
MESSAGES = 6

Chain = Tuple[PrivatePostfix, LoadBalancer, Dict[str, RecordingShim]]


@pytest.fixture
def chain(
    start_shim: Callable[..., RecordingShim],
    server_tls: ssl.SSLContext,
    credentials: Credentials,
    ca_file: Path,
    tmp_path: Path,
) -> Iterator[Chain]:
    options = production_shim_options(server_tls, credentials)
    shims = {name: start_shim(**options) for name in ("shim1", "shim2")}
    balancer = LoadBalancer(tmp_path, {n: s.port for n, s in shims.items()}, POSTFIX_HOST)
    try:
        with instance_directory() as root:
            settings = relay_settings(root, balancer.port, ca_file, LOGIN, PASSWORD)
            settings["smtp_bind_address"] = POSTFIX_HOST
            postfix = PrivatePostfix(root, settings)
            try:
                yield postfix, balancer, shims
            finally:
                postfix.stop()
                print("Postfix's maillog:\n" + postfix.log())  # shown when the test failed
    finally:
        balancer.stop()
        print("HAProxy's log:\n" + balancer.log())


def test_postfix_through_haproxy_to_two_shims(chain: Chain) -> None:
    postfix, balancer, shims = chain
    subjects = ["chain %s" % uuid.uuid4().hex for _ in range(MESSAGES)]
    for subject in subjects:
        message = "From: a@relay-client.test\nSubject: %s\n\nthrough the balancer\n" % subject
        postfix.sendmail("a@relay-client.test", ["b@example.com"], message.encode())

    wait_until(
        lambda: len(postfix.log_lines(r"status=sent")) == MESSAGES and not postfix.queue_ids(),
        "Postfix to deliver every message and empty its queue",
    )
    for subject in subjects:
        found = [(name, d) for name, shim in shims.items() for d in shim.with_subject(subject)]
        assert len(found) == 1, (subject, found)
    routed = {(d.peer, name) for name, shim in shims.items() for d in shim.deliveries}
    for peer, _ in routed:
        assert peer[0] == POSTFIX_HOST

    def every_delivery_logged() -> Set[Tuple[Address, str]]:
        """Fails (times out) if a shim got a connection HAProxy sent elsewhere. HAProxy
        logs a line when a connection ends (Postfix caches them, so later)."""
        logged = balancer.servers_by_client()
        return routed if all(name in logged.get(p, ()) for p, name in routed) else set()

    wait_until(every_delivery_logged, "HAProxy's log to route every delivery to its shim")
    assert len(postfix.log_lines(r"Trusted TLS connection established")) >= 1

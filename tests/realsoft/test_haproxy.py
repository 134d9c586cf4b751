"""HAProxy in front of two shim instances (``haproxy_instance.py``: ``mode tcp``,
``balance roundrobin``, ``send-proxy-v2``, SMTP health checks), the way users scale out.

Clients connect from 127.0.0.2 while HAProxy reaches the shims from 127.0.0.1, so
an address taken from the TCP connection instead of the PROXY header shows up at
once. HAProxy's log names the backend it chose for each client; the test
checks that this instance, and only it, got the message with the client's address
as ``peer``, and that the shim's log names the client too.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import pytest
from haproxy_instance import Address, LoadBalancer, Route
from realsoft_support import TIMEOUT, RecordingShim, wait_until

CLIENT_HOST = "127.0.0.2"
MESSAGES = 4


class Balanced:
    """Two shims behind HAProxy, and the messages sent through it from 127.0.0.2:
    subject -> the client's address."""

    def __init__(self, shims: Dict[str, RecordingShim], balancer: LoadBalancer) -> None:
        self.shims, self.balancer = shims, balancer
        self.sent: Dict[str, Address] = {}

    def send(self) -> None:
        """One message on its own connection, from the client host."""
        subject = uuid.uuid4().hex
        with smtplib.SMTP(
            "127.0.0.1", self.balancer.port, timeout=TIMEOUT, source_address=(CLIENT_HOST, 0)
        ) as client:
            assert client.sock is not None
            self.sent[subject] = client.sock.getsockname()
            client.sendmail("a@client.test", ["b@example.com"], "Subject: %s\r\n\r\nhi" % subject)

    def routes(self) -> Dict[Address, Route]:
        """Each client's route, once HAProxy has logged every one."""

        def every_client_logged() -> Dict[Address, Route]:
            logged = self.balancer.routes()
            return logged if all(a in logged for a in self.sent.values()) else {}

        found: Dict[Address, Route] = wait_until(every_client_logged, "HAProxy's log lines")
        return found


@pytest.fixture
def balanced(
    start_shim: Callable[..., RecordingShim], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[Balanced]:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="smtpd_compat")  # the per-message line
    shims = {name: start_shim(proxy_protocol=True) for name in ("shim1", "shim2")}
    balancer = LoadBalancer(tmp_path, {n: s.port for n, s in shims.items()}, CLIENT_HOST)
    try:
        balanced = Balanced(shims, balancer)
        for _ in range(MESSAGES):
            balanced.send()
        yield balanced
    finally:
        balancer.stop()
        print("HAProxy's log:\n" + balancer.log())  # shown when the test failed


def log_lines(caplog: pytest.LogCaptureFixture, logger: str = "") -> List[str]:
    """Log lines of the fixture (which sent the messages) and of the test so far."""
    records = caplog.get_records("setup") + caplog.get_records("call")
    return [r.getMessage() for r in records if not logger or r.name.startswith(logger)]


def test_peer_is_the_client_on_both_instances(balanced: Balanced) -> None:
    route = balanced.routes()
    for subject, client in balanced.sent.items():
        (delivery,) = balanced.shims[route[client].server].with_subject(subject)
        assert delivery.peer == client
        (other,) = set(balanced.shims) - {route[client].server}
        assert balanced.shims[other].with_subject(subject) == []
    # Round robin, but HAProxy's threads may take two connections in a row: both
    # instances served, not necessarily two each.
    assert {route[client].server for client in balanced.sent.values()} == {"shim1", "shim2"}
    assert sum(len(shim.deliveries) for shim in balanced.shims.values()) == MESSAGES


def test_the_shims_log_names_the_client(
    balanced: Balanced, caplog: pytest.LogCaptureFixture
) -> None:
    route = balanced.routes()
    wait_until(
        lambda: all(
            any(repr(client) in line for line in log_lines(caplog, "smtpd_compat"))
            for client in balanced.sent.values()
        ),
        "a smtpd_compat log line naming each client",
    )
    balancer_side = [repr(route[client].via) for client in balanced.sent.values()]
    named = [x for x in log_lines(caplog, "smtpd_compat") if any(b in x for b in balancer_side)]
    assert named == []


def test_no_log_line_names_haproxy_for_a_client_connection(
    balanced: Balanced, caplog: pytest.LogCaptureFixture
) -> None:
    route = balanced.routes()
    balancer_side = [repr(route[client].via) for client in balanced.sent.values()]
    assert [x for x in log_lines(caplog) if any(b in x for b in balancer_side)] == []

"""HAProxy in front of two shim instances: ``mode tcp``, ``balance roundrobin``,
``send-proxy-v2``, the way users scale out.

Clients connect from 127.0.0.2 while HAProxy reaches the shims from 127.0.0.1, so
an address taken from the TCP connection instead of the PROXY header shows up at
once. HAProxy's own tcplog names the backend it chose for each client; the test
checks that this instance, and only it, got the message with the client's address
as ``peer``, and that the shim's log names the client too.
"""

from __future__ import annotations

import logging
import re
import smtplib
import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import pytest
from realsoft_support import (
    TIMEOUT,
    ManagedProcess,
    RecordingShim,
    free_port,
    run,
    tool,
    wait_for_listener,
    wait_until,
)

CLIENT_HOST = "127.0.0.2"
MESSAGES = 4
BACKEND_LOG = re.compile(r"(\d+\.\d+\.\d+\.\d+):(\d+) \[[^\]]*\] smtp shims/(shim\d)")

CONFIG = """\
global
    log stdout format raw local0
    maxconn 200

defaults
    mode tcp
    log global
    option tcplog
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend smtp
    bind 127.0.0.1:{front}
    default_backend shims

backend shims
    balance roundrobin
{servers}
"""


def haproxy_config(front: int, backends: Dict[str, int]) -> str:
    servers = "".join(
        "    server %s 127.0.0.1:%d send-proxy-v2\n" % item for item in backends.items()
    )
    return CONFIG.format(front=front, servers=servers)


Balanced = Tuple[int, Dict[str, RecordingShim], ManagedProcess]


@pytest.fixture
def balanced(start_shim: Callable[..., RecordingShim], tmp_path: Path) -> Iterator[Balanced]:
    """Two shims that expect a PROXY header, and HAProxy on a free port before them."""
    shims = {name: start_shim(proxy_protocol=True) for name in ("shim1", "shim2")}
    front = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(front, {n: s.port for n, s in shims.items()}))
    checked = run([tool("haproxy"), "-c", "-f", str(config)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    haproxy = ManagedProcess([tool("haproxy"), "-db", "-f", str(config)], tmp_path / "log")
    try:
        wait_for_listener(front, "HAProxy", haproxy, source=CLIENT_HOST)
        yield front, shims, haproxy
    finally:
        haproxy.stop()
        print("HAProxy's log:\n" + haproxy.output())  # shown when the test failed


def send_from_client_host(port: int, subject: str) -> Tuple[str, int]:
    """One message on its own connection; returns the client's own address."""
    with smtplib.SMTP(
        "127.0.0.1", port, timeout=TIMEOUT, source_address=(CLIENT_HOST, 0)
    ) as client:
        address: Tuple[str, int] = client.sock.getsockname()
        client.sendmail("a@client.test", ["b@example.com"], "Subject: %s\r\n\r\nhi\r\n" % subject)
    return address


def backend_by_client(haproxy: ManagedProcess) -> Dict[Tuple[str, int], str]:
    """HAProxy's tcplog lines (written when a connection ends): client -> server."""
    return {
        (host, int(port)): server for host, port, server in BACKEND_LOG.findall(haproxy.output())
    }


def test_peer_is_the_client_on_both_instances(
    balanced: Balanced, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="smtpd_compat")
    front, shims, haproxy = balanced
    sent: List[Tuple[str, Tuple[str, int]]] = []
    for _ in range(MESSAGES):
        subject = uuid.uuid4().hex
        sent.append((subject, send_from_client_host(front, subject)))

    def every_client_logged() -> Dict[Tuple[str, int], str]:
        logged = backend_by_client(haproxy)
        return logged if all(address in logged for _, address in sent) else {}

    chosen = wait_until(every_client_logged, "HAProxy to log every client")
    for subject, address in sent:
        (delivery,) = shims[chosen[address]].with_subject(subject)
        assert delivery.peer == address
        (other,) = set(shims) - {chosen[address]}
        assert shims[other].with_subject(subject) == []
    # Round robin, but HAProxy's threads may take two connections in a row: both
    # instances served, not necessarily two each.
    assert {chosen[address] for _, address in sent} == set(shims)
    assert sum(len(shim.deliveries) for shim in shims.values()) == MESSAGES

    def shim_log() -> str:
        return "\n".join(r.getMessage() for r in caplog.records if r.name == "smtpd_compat")

    wait_until(
        lambda: all(repr(address) in shim_log() for _, address in sent),
        "the shims to log each client's address",
    )
    assert "'127.0.0.1'" not in shim_log()  # HAProxy's own address never shows

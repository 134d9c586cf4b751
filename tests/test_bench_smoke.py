"""Smoke test of the benchmark suite (bench/): its parts work, in seconds, on every Python.

The benchmark itself (python3 bench/run.py) builds its own venvs and takes minutes;
here the load generator drives the null responder and the smtpd_compat engine for a
few messages, and the runner's reporting runs on a synthetic result.
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
ENGINES = os.path.join(BENCH, "engines")
sys.path.insert(0, BENCH)

import loadgen  # noqa: E402
import run as runner  # noqa: E402

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the bench reads /proc and CPU clocks"
)


def read_line(stream, timeout=20.0):
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        assert selector.select(timeout), "engine said nothing"
        return stream.readline().decode()


def drive(script, *loadgen_args):
    """Start an engine, run the load generator against it, stop it: (result, stats)."""
    server = subprocess.Popen(
        [sys.executable, "-W", "ignore::DeprecationWarning", os.path.join(ENGINES, script)],
        stdout=subprocess.PIPE,
    )
    try:
        port = read_line(server.stdout).split()[1]
        done = subprocess.run(
            [sys.executable, os.path.join(BENCH, "loadgen.py"), *loadgen_args,
             "--port", port, "--server-pid", str(server.pid)],
            stdout=subprocess.PIPE, timeout=30, check=True,
        )  # fmt: skip
        server.send_signal(signal.SIGTERM)
        line = read_line(server.stdout)
        assert line.startswith("STATS "), line
        return json.loads(done.stdout), json.loads(line[len("STATS ") :])
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(10)
        server.stdout.close()


@linux_only
def test_null_responder_under_load():
    result, stats = drive("null_asyncio.py", "throughput", "--conns", "3", "--msgs", "5")
    assert result["errors"] == 0, result["error_examples"]
    assert result["messages"] == 15
    assert stats["messages"] == 15 + result["warmup_messages"]
    assert result["cpu_per_msg_us"] > 0


@linux_only
def test_compat_engine_under_load():
    pytest.importorskip("smtpd_compat")
    result, stats = drive("legacy_compat.py", "throughput", "--conns", "2", "--msgs", "5")
    assert result["errors"] == 0, result["error_examples"]
    assert stats["messages"] == 10 + result["warmup_messages"]
    # process_message got legacy data: LF line ends, dots unstuffed, final CRLF dropped.
    body = loadgen.Message(1024)
    assert stats["data_bytes"] == stats["messages"] * expected_legacy_size(body)


def expected_legacy_size(message):
    wire_body = message.wire[: -len(b".\r\n")]
    lines = wire_body.split(b"\r\n")[:-1]
    return len(b"\n".join(line[1:] if line.startswith(b".") else line for line in lines))


def test_engine_scripts_differ_only_in_the_smtpd_import():
    def body(name):
        with open(os.path.join(ENGINES, name)) as script:
            lines = [line for line in script.read().splitlines() if line.strip()]
        imports = {line for line in lines if line.startswith(("import ", "from "))}
        return [line for line in lines if line not in imports], imports

    stdlib_body, stdlib_imports = body("legacy_stdlib.py")
    compat_body, compat_imports = body("legacy_compat.py")
    assert stdlib_body == compat_body
    assert stdlib_imports ^ compat_imports == {"import smtpd", "import smtpd_compat as smtpd"}


def test_messages_are_dot_stuffed_and_terminated():
    message = loadgen.Message(1024)
    assert 1024 <= message.size < 1024 + 80
    assert message.wire.endswith(b"\r\n.\r\n")
    assert b"\r\n.." in message.wire


def test_every_reply_line_is_checked():
    async def expect(data, code):
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        await loadgen.Session(reader, None).expect(code, "test")

    asyncio.run(expect(b"250-one\r\n250 two\r\n", 250))
    for bad in (b"250-one\r\n251 two\r\n", b"550 no\r\n", b"2x0 what\r\n"):
        with pytest.raises(loadgen.ReplyError):
            asyncio.run(expect(bad, 250))


def test_report_medians_ratios_and_targets():
    engines = ("null", "stdlib", "aiosmtpd", "compat")
    cells = []
    for rep, figures in enumerate([(300, 600, 1000, 500), (310, 560, 1100, 520)]):
        for engine, cpu in zip(engines, figures):
            cell = {"engine": engine, "scenario": "S1", "rep": rep + 1, "errors": 0}
            cells.append(dict(cell, cpu_per_msg_us=cpu, msg_per_s=1e6 / cpu))
    report = {
        "meta": {"python": "3.x", "versions": {}, "cpus": 2, "git_commit": "x", "short": True,
                 "seconds": 1.0, "skipped": {}, "scenarios": {"S1": "S1"},
                 "engines": dict.fromkeys(engines, "")},
        "cells": cells,
    }  # fmt: skip
    summary = runner.summarize(report)
    assert summary["S1"]["compat"]["cpu_per_msg_us"]["median"] == 510
    text = runner.render(report, summary)
    assert "1.67x" in text  # compat 510 / null 305
    met = {label: (value, ok) for label, value, _, ok in runner.targets(summary, short=True)}
    value, ok = met["S1 CPU/msg <= stdlib"]
    assert ok and value == pytest.approx(510 / 580)
    assert met["S1 CPU/msg <= 0.6 x aiosmtpd"][1] is True
    assert met["S2 CPU/msg <= stdlib"][1] is None

"""Rule thread: a (server, Thread) class that never initialises its smtpd base (_vestigial)."""

from __future__ import annotations

import libcst as cst
import pytest
from before_after import dedent, run  # noqa: E402

from smtpd_compat.codemod._names import LegacyNames
from smtpd_compat.codemod._vestigial import unused_server_base

TEMPLATE = """
    import asyncore
    import smtpd
    import threading


    class DevServer(smtpd.DebuggingServer, threading.Thread):
        def __init__(self, localaddr):
            {init}
            self.localaddr = localaddr

        def run(self):
            smtpd.DebuggingServer(self.localaddr, None)
            {loop}
    {extra}

    DevServer(("127.0.0.1", 8025)).start()
"""
PLAIN = {"init": "threading.Thread.__init__(self, daemon=True)", "loop": "asyncore.loop()"}


def test_the_unused_base_goes_and_run_serves_a_controller():
    outcome = run(TEMPLATE.format(extra="", **PLAIN))
    assert [r for r in outcome.reports if not r.note] == []
    assert "class DevServer(threading.Thread):\n" in outcome.source
    assert "import smtpd" not in outcome.source and "asyncore" not in outcome.source
    assert "        server_controller.start()\n" in outcome.source
    notes = [r.message for r in outcome.reports if r.note]
    assert any("no longer derives from smtpd.DebuggingServer" in n for n in notes)


def test_a_call_result_closed_elsewhere_is_no_server():
    extra = "\n\n    def probe():\n        socket.create_connection(('127.0.0.1', 8025)).close()\n"
    source = TEMPLATE.format(extra=extra, **PLAIN).replace(
        "import threading", "import socket\n    import threading"
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert "class DevServer(threading.Thread):\n" in outcome.source


@pytest.mark.parametrize(
    ("init", "extra"),
    [
        ("super().__init__()", ""),
        ("smtpd.DebuggingServer.__init__(self, localaddr, None)", ""),
        (PLAIN["init"], "\n        def process_message(self, *args):\n            pass\n"),
        (PLAIN["init"], "\n        def stop(self):\n            self.close()\n"),
        (PLAIN["init"] + "\n            self.socket = None", ""),
    ],
)
def test_a_class_that_reaches_its_smtpd_base_keeps_it(init, extra):
    source = TEMPLATE.format(init=init, loop=PLAIN["loop"], extra=extra)
    module = cst.parse_module(dedent(source))
    names = LegacyNames()
    module.visit(names)
    (node,) = [s for s in module.body if isinstance(s, cst.ClassDef)]
    assert unused_server_base(node, names) is None
    assert "smtpd.DebuggingServer, threading.Thread" in run(source).source


def test_a_plain_server_class_is_no_thread_class():
    source = TEMPLATE.format(extra="", **PLAIN).replace(", threading.Thread)", ")")
    module = cst.parse_module(dedent(source))
    names = LegacyNames()
    module.visit(names)
    (node,) = [s for s in module.body if isinstance(s, cst.ClassDef)]
    assert unused_server_base(node, names) is None

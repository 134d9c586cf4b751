"""Rule debugging: DebuggingServer becomes a handler printing the same; PureProxy stays."""

from __future__ import annotations

from before_after import check_noop, run  # noqa: E402

OPTIONS = "enable_SMTPUTF8=False"  # the handler decodes: aiosmtpd's decode_data is strict ASCII


def test_debugging_server_keeps_legacy_output():
    outcome = run("""
        import asyncore
        import smtpd

        smtpd.DebuggingServer(("localhost", 1025), None, decode_data=True)
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "class LegacyDebuggingHandler:" in outcome.source
    assert outcome.source.endswith(
        """
server = LegacyDebuggingHandler(decode_data=True)
server_controller = Controller(server, hostname="localhost", port=1025, """
        + OPTIONS
        + """)
server_controller.start()
threading.Event().wait()  # served until interrupted
"""
    )


def test_noop_pure_proxy():
    reports = check_noop("""
        import asyncore
        import smtpd

        smtpd.PureProxy(("localhost", 1025), ("mail.example.com", 25))
        asyncore.loop()
    """)
    assert any(r.startswith("t.py:4: smtpd.PureProxy is instantiated directly") for r in reports)


def test_noop_debugging_subclass_with_its_own_code():
    reports = check_noop("""
        import smtpd


        class Loud(smtpd.DebuggingServer):
            def __init__(self, localaddr):
                super().__init__(localaddr, None)
    """)
    assert any(
        r.startswith("t.py:4: class Loud keeps its base's process_message (printing or relaying)")
        for r in reports
    )


def test_noop_empty_debugging_subclass_not_made_here():
    reports = check_noop("""
        import smtpd


        class Loud(smtpd.DebuggingServer):
            pass
    """)
    assert any(
        r.startswith("t.py:4: class Loud is not instantiated in this module") for r in reports
    )


def test_empty_debugging_subclass_becomes_a_subclass_of_the_handler():
    outcome = run("""
        import asyncore
        import smtpd


        class Loud(smtpd.DebuggingServer):
            \"\"\"Prints what it gets.\"\"\"


        def main():
            server = Loud(("localhost", 1025), None, decode_data=True)
            asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "import smtpd" not in outcome.source
    assert "class LegacyDebuggingHandler:" in outcome.source
    assert 'class Loud(LegacyDebuggingHandler):\n    """Prints what it gets."""\n' in outcome.source
    assert "    server = Loud(decode_data=True)\n" in outcome.source
    assert (
        '    server_controller = Controller(server, hostname="localhost", port=1025, '
        + OPTIONS
        + ")\n"
    ) in outcome.source


def test_noop_subclass_using_its_base():
    reports = check_noop("""
        import smtpd


        class Relay(smtpd.PureProxy):
            def process_message(self, peer, mailfrom, rcpttos, data):
                self._deliver(mailfrom, rcpttos, data)
    """)
    assert any("class Relay uses its legacy base class (_deliver)" in r for r in reports)


def test_subclass_replacing_process_message_is_a_plain_server():
    outcome = run("""
        import asyncore
        import smtpd


        class Quiet(smtpd.DebuggingServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                return "250 Quiet"


        server = Quiet(("localhost", 1025), None)
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "class Quiet:\n    async def handle_DATA(" in outcome.source
    assert "LegacyDebuggingHandler" not in outcome.source

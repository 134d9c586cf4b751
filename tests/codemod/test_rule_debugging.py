"""Rule debugging: DebuggingServer becomes a handler printing the same; PureProxy stays.

Subclasses calling their base's methods inherit them from a class written into the module.
"""

from __future__ import annotations

import pytest
from before_after import check_noop, run, unwrapped  # noqa: E402

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
    assert unwrapped(outcome.source).endswith(
        """
server = LegacyDebuggingHandler(decode_data=True)
server_controller = LongLinesController(server, hostname="localhost", port=1025, """
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


def test_debugging_subclass_with_only_its_own_init_inherits_the_printing():
    outcome = run("""
        import asyncore
        import smtpd


        class Loud(smtpd.DebuggingServer):
            def __init__(self, localaddr):
                super().__init__(localaddr, None)
                print("listening")


        server = Loud(("localhost", 1025))
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "class Loud(DebuggingServerMethods):\n    def __init__(self, localaddr):\n" in (
        outcome.source
    )
    assert '        self._remoteaddr = None\n        print("listening")\n\n' in outcome.source
    assert "                mail_options=list(envelope.mail_options),\n" in outcome.source


def test_pure_proxy_replacing_only_deliver_keeps_the_base_process_message():
    outcome = run("""
        import asyncore
        import smtpd


        class Queued(smtpd.PureProxy):
            def _deliver(self, mailfrom, rcpttos, data):
                print("queued", mailfrom, rcpttos, len(data))


        server = Queued(("localhost", 1025), ("127.0.0.1", 1026), decode_data=True)
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "class Queued(PureProxyMethods):\n    def __init__(self, localaddr, " in outcome.source
    assert "        self._remoteaddr = remoteaddr\n\n    def _deliver(" in outcome.source
    assert 'server = Queued(("localhost", 1025), ("127.0.0.1", 1026), ' in outcome.source


def test_a_pure_proxy_keeping_its_process_message_without_decode_data_keeps_failing():
    """smtpd's PureProxy.process_message raised TypeError on every message without
    decode_data=True (the keywords smtpd passed): the kept method fails on the bytes it
    gets, before relaying, so every message gets the noted 451 and nothing is relayed."""
    outcome = run("""
        import asyncore
        import smtpd


        class Queued(smtpd.PureProxy):
            def _deliver(self, mailfrom, rcpttos, data):
                print("queued", mailfrom, rcpttos, len(data))


        server = Queued(("localhost", 1025), ("127.0.0.1", 1026))
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    noted = [r.format("t.py") for r in outcome.reports if r.note]
    assert any(
        r.startswith("t.py:5: note: process_message is smtpd.PureProxy's, which raised")
        and "every message gets 451 and nothing is relayed" in r
        for r in noted
    ), noted
    assert not any("answers what it returns" in r for r in noted)
    source = outcome.source
    assert "class Queued(PureProxyMethods):" in source
    assert '        lines = data.split("\\n")\n' in source  # smtpd's code, failing on bytes
    namespace: dict = {}
    methods = source[source.index("class PureProxyMethods:") :].split("\n\n\n")[0]
    exec(methods, namespace)
    with pytest.raises(TypeError):  # what every message meets, before any relaying
        namespace["PureProxyMethods"]().process_message(("127.0.0.1", 1), "a@x", ["b@y"], b"S: x")


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
        "    server_controller = LongLinesController(\n"
        f'        server, hostname="localhost", port=1025, {OPTIONS}\n'
        "    )\n"
    ) in outcome.source


def test_noop_subclass_using_another_base_method():
    reports = check_noop("""
        import asyncore
        import smtpd


        class Relay(smtpd.PureProxy):
            def process_message(self, peer, mailfrom, rcpttos, data):
                super().handle_close()


        Relay(("localhost", 1025), ("mail.example.com", 25))
        asyncore.loop()
    """)
    assert any(
        r.startswith("t.py:7: class Relay calls super().handle_close, which a handler has not")
        for r in reports
    )


def test_noop_subclass_calling_another_legacy_base():
    reports = check_noop("""
        import asyncore
        import smtpd


        class Relay(smtpd.PureProxy):
            def process_message(self, peer, mailfrom, rcpttos, data):
                smtpd.DebuggingServer.process_message(self, peer, mailfrom, rcpttos, data)


        Relay(("localhost", 1025), ("mail.example.com", 25))
        asyncore.loop()
    """)
    expected = "t.py:7: class Relay uses smtpd.DebuggingServer.process_message"
    assert any(r.startswith(expected) for r in reports)


def test_noop_methods_class_name_taken():
    reports = check_noop("""
        import asyncore
        import smtpd

        PureProxyMethods = None


        class Relay(smtpd.PureProxy):
            def process_message(self, peer, mailfrom, rcpttos, data):
                self._deliver(mailfrom, rcpttos, data)


        Relay(("localhost", 1025), ("mail.example.com", 25), decode_data=True)
        asyncore.loop()
    """)
    assert any("this module already uses that name" in r for r in reports)


def test_pure_proxy_subclass_calling_deliver_inherits_the_relay():
    outcome = run("""
        import asyncore
        import smtpd


        class Relay(smtpd.PureProxy):
            def process_message(self, peer, mailfrom, rcpttos, data):
                refused = self._deliver(mailfrom, rcpttos, data.upper())
                print(refused)


        Relay(("localhost", 1025), ("mail.example.com", 25), decode_data=True)
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "import smtplib\n" in outcome.source
    assert "class PureProxyMethods:" in outcome.source
    assert "class Relay(PureProxyMethods):\n    def __init__(self, localaddr" in outcome.source
    assert "        self._remoteaddr = remoteaddr\n" in outcome.source
    assert "refused = self._deliver(mailfrom, rcpttos, data.upper())" in outcome.source
    assert "import smtpd" not in outcome.source and "asyncore" not in outcome.source


def test_debugging_subclass_calling_its_base_by_name():
    outcome = run("""
        import asyncore
        import smtpd as legacy


        class Logged(legacy.DebuggingServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                print("got one")
                legacy.DebuggingServer.process_message(self, peer, mailfrom, rcpttos, data)


        Logged(("localhost", 1025), None)
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "class Logged(DebuggingServerMethods):" in outcome.source
    assert (
        "    DebuggingServerMethods.process_message(self, peer, mailfrom, rcpttos, data)\n"
        in outcome.source
    )
    assert "PureProxyMethods" not in outcome.source and "smtplib" not in outcome.source


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


def test_noop_subclass_calling_past_its_base():
    """super(smtpd.PureProxy, self) reaches SMTPServer's process_message, which raised."""
    reports = check_noop("""
        import asyncore
        import smtpd


        class Relay(smtpd.PureProxy):
            def process_message(self, peer, mailfrom, rcpttos, data):
                super(smtpd.PureProxy, self).process_message(peer, mailfrom, rcpttos, data)


        Relay(("localhost", 1025), ("mail.example.com", 25))
        asyncore.loop()
    """)
    expected = "t.py:7: class Relay calls a super() that skips its base"
    assert any(r.startswith(expected) for r in reports), reports


def test_subclass_calling_super_with_its_own_name():
    outcome = run("""
        import asyncore
        import smtpd


        class Relay(smtpd.PureProxy):
            def __init__(self, localaddr, remoteaddr):
                super(Relay, self).__init__(localaddr, remoteaddr, decode_data=True)

            def process_message(self, peer, mailfrom, rcpttos, data):
                super(Relay, self).process_message(peer, mailfrom, rcpttos, data)


        Relay(("localhost", 1025), ("mail.example.com", 25))
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "class Relay(PureProxyMethods):" in outcome.source
    assert "super(Relay, self).process_message(peer, mailfrom, rcpttos, data)" in outcome.source


HANDED_OUT = """
    import asyncore
    import smtpd
    import threading


    class Sink(smtpd.DebuggingServer):
        pass


    def start(port):
        server = {made}(("127.0.0.1", port), None)
        thread = threading.Thread(target=asyncore.loop, kwargs={{"timeout": 1}})
        thread.start()
        return server, thread


    def main():
        server, thread = start(0)
        print(server.socket.getsockname()[1])
        server.close()
        thread.join(10)
"""


def test_a_handed_out_debugging_server_closed_elsewhere_gets_a_close():
    """heldout11/debug_thread_self_send_argparse: the factory returns the DebuggingServer,
    main() closes it; the handler gets a close() stopping the controller it carries."""
    unused_class = "    class Sink(smtpd.DebuggingServer):\n        pass\n\n\n"
    for made in ("Sink", "smtpd.DebuggingServer"):
        source = HANDED_OUT.format(made=made)
        outcome = run(source if made == "Sink" else source.replace(unused_class, ""))
        assert [r for r in outcome.reports if not r.note] == [], made
        handler = outcome.source.split("class LegacyDebuggingHandler:")[1].split("\nclass ")[0]
        assert "    def close(self):\n" in handler
        assert "        self.controller.stop()\n" in handler
        assert "    server.controller = server_controller  # its close() stops it\n" in (
            outcome.source
        )
        assert "    server.close()\n    thread.join(10)\n" in outcome.source


def test_a_debugging_handler_nobody_closes_has_no_close():
    outcome = run(HANDED_OUT.format(made="Sink").replace("        server.close()\n", ""))
    assert [r for r in outcome.reports if not r.note] == []
    assert "def close(self)" not in outcome.source

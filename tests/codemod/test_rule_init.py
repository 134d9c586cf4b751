"""Rule init: __init__ overrides store smtpd's attributes instead of binding."""

from __future__ import annotations

import pytest

pytest.importorskip("libcst")

from before_after import check_noop, run, unwrapped  # noqa: E402

TEMPLATE = """
    import asyncore
    import smtpd


    class Sink(smtpd.SMTPServer):
        def __init__(self, localaddr, remoteaddr, queue):
            # the queue receives the messages
            {call}
            self.queue = queue

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.queue.append(data)


    server = Sink(("localhost", 0), None, [])
    asyncore.loop()
"""


@pytest.mark.parametrize(
    "call",
    [
        "smtpd.SMTPServer.__init__(self, localaddr, remoteaddr, data_size_limit=1024)",
        "super().__init__(localaddr, remoteaddr, data_size_limit=1024)",
        "super(Sink, self).__init__(localaddr, remoteaddr, 1024)",
    ],
)
def test_base_init_becomes_attributes(call):
    outcome = run(TEMPLATE.format(call=call))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        """\
    def __init__(self, localaddr, remoteaddr, queue):
        # the queue receives the messages
        self._localaddr = localaddr
        self._remoteaddr = remoteaddr
        self.data_size_limit = 1024
        self.queue = queue
"""
        in outcome.source
    )
    assert (
        'server = Sink(("localhost", 0), None, [])\n'
        "server_controller = BoundController(server, server._localaddr, "
        "data_size_limit=server.data_size_limit, enable_SMTPUTF8=False)\n"
    ) in unwrapped(outcome.source)


def test_noop_star_args_forwarding():
    reports = check_noop(TEMPLATE.format(call="smtpd.SMTPServer.__init__(self, *args)"))
    assert any("cannot be read statically" in r for r in reports)


def test_noop_computed_decode_data():
    call = "super().__init__(localaddr, remoteaddr, decode_data=queue is None)"
    reports = check_noop(TEMPLATE.format(call=call))
    assert any(r.startswith("t.py:8: Sink.__init__ passes arguments") for r in reports)


def test_noop_missing_base_call():
    reports = check_noop(TEMPLATE.format(call="pass"))
    assert any("does not call the base __init__ exactly once" in r for r in reports)


def test_star_args_forwarding_binds_the_arguments_as_smtpd_did():
    outcome = run("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.received = []

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                self.received.append(data)


        server = Sink(("localhost", 0), None, data_size_limit=1024)
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "def smtpd_server_attributes(\n" in outcome.source
    assert "        smtpd_server_attributes(self, *args, **kwargs)\n" in outcome.source
    assert 'server = Sink(("localhost", 0), None, data_size_limit=1024)\n' in outcome.source
    assert (
        "server_controller = BoundController(server, server._localaddr, "
        "data_size_limit=1024, enable_SMTPUTF8=False)"
    ) in unwrapped(outcome.source)


def test_noop_star_args_that_change_on_the_way():
    reports = check_noop("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def __init__(self, *args, **kwargs):
                super().__init__(*args[1:], **kwargs)

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink("x", ("localhost", 0), None)
        asyncore.loop()
    """)
    assert any("cannot be read statically" in r for r in reports)

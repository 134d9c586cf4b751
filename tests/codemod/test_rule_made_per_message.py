"""A server made while a message is handled is reported at its line (_made_per_message)."""

from __future__ import annotations

import pytest
from before_after import check_noop  # noqa: E402

RELAY = """
    import asyncore
    import smtpd


    class Relay(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            {body}

        def relay(self, data):
            try:
                {made}
            except Exception as error:
                print(error)

        def deliver(self, data):
            self.relay(data)


    relay = Relay(("127.0.0.1", 0), ("127.0.0.1", 10026))
    asyncore.loop()
"""


@pytest.mark.parametrize(
    ("body", "made", "where"),
    [
        ("self.relay(data)", "smtpd.SMTPServer(*self._remoteaddr)", "Relay.relay"),
        ("self.deliver(data)", "smtpd.SMTPServer(self._remoteaddr[0], 25)", "Relay.relay"),
        ("smtpd.DebuggingServer(self._remoteaddr, None)", "pass", "Relay.process_message"),
        ("self.relay(data)", "Relay(self._remoteaddr, None)", "Relay.relay"),
    ],
)
def test_noop_server_made_for_each_message(body, made, where):
    reports = check_noop(RELAY.format(body=body, made=made))
    [made_line] = [r for r in reports if "runs for each message" in r]
    assert f"is made in {where}, which runs for each message" in made_line
    assert "use a client (smtplib.SMTP)" in made_line
    # reported where it is made, not as one more start-up the loop does not serve
    assert not any("outside the block that creates it" in r for r in reports)


def test_a_server_made_by_a_method_process_message_never_calls_is_a_start_up():
    source = RELAY.format(body="print(data)", made="smtpd.SMTPServer(('127.0.0.1', 0), None)")
    reports = check_noop(source)
    assert not any("runs for each message" in r for r in reports)

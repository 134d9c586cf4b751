"""Rule verbs: a channel adding verbs becomes an aiosmtpd SMTP subclass."""

from __future__ import annotations

import pytest

pytest.importorskip("libcst")

from before_after import check_noop, run  # noqa: E402

PROGRAM = """
    import asyncore
    import smtpd


    class Channel(smtpd.SMTPChannel):
{methods}

    class Sink(smtpd.SMTPServer):
        channel_class = Channel

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Sink(("127.0.0.1", 2525), None)
    asyncore.loop()
"""
XCLIENT = '''        def smtp_XCLIENT(self, arg):
            """Accepted and ignored."""
            self.push("220 XCLIENT ok")
            return

        def smtp_EXPN(self, arg):
            self.push("252-Cannot expand")
            self.push("252 Try RCPT")
'''


def test_literal_verbs_become_an_smtp_subclass_built_by_the_controller():
    outcome = run(PROGRAM.format(methods=XCLIENT))
    assert [r for r in outcome.reports if not r.note] == []
    source = outcome.source
    assert "class Channel(SMTP):\n" in source and "from aiosmtpd.smtp import SMTP\n" in source
    assert (
        "    async def smtp_XCLIENT(self, arg):\n"
        '        await self.push("220 XCLIENT ok")\n\n'
        "    async def smtp_EXPN(self, arg):\n"
        '        await self.push("252-Cannot expand")\n'
        '        await self.push("252 Try RCPT")\n'
    ) in source
    assert "class ChannelController(BoundController):\n" in source
    assert "        return Channel(self.handler, **self.SMTP_kwargs)\n" in source
    assert "server_controller = ChannelController(server, (" in source
    assert "channel_class" not in source and "import smtpd" not in source


@pytest.mark.parametrize(
    "body, why",
    [
        ('self.push("250 " + arg)', "smtp_XCLIENT: it does more than push literal replies"),
        ("self.seen_greeting = arg", "smtp_XCLIENT: it does more than push literal replies"),
        ('print("x")', "smtp_XCLIENT: it does more than push literal replies"),
    ],
)
def test_noop_verbs_that_do_more(body, why):
    methods = f"        def smtp_XCLIENT(self, arg):\n            {body}\n"
    reports = check_noop(PROGRAM.format(methods=methods))
    assert any(why in r for r in reports), reports


def test_noop_an_override_of_a_verb_smtpd_answered_is_no_new_verb():
    methods = '        def smtp_NOOP(self, arg):\n            self.push("250 Yes")\n'
    reports = check_noop(PROGRAM.format(methods=methods))
    assert any("smtp_NOOP has no hook equivalent" in r for r in reports), reports


def test_noop_controller_name_taken():
    source = PROGRAM.format(methods=XCLIENT) + "\n    ChannelController = None\n"
    reports = check_noop(source)
    assert any("the name ChannelController is taken in this module" in r for r in reports)

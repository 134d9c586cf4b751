"""Rule policy: smtp_MAIL/smtp_RCPT policy overrides become handle_MAIL/handle_RCPT hooks."""

from __future__ import annotations

import pytest
from before_after import check_noop, run  # noqa: E402

SERVER = """

    class Server(smtpd.SMTPServer):
        channel_class = Channel
        limit = 2

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Server(("127.0.0.1", 2525), None)
    asyncore.loop()
"""


def program(channel_body: str) -> str:
    head = "\n    import asyncore\n    import smtpd\n\n\n    class Channel(smtpd.SMTPChannel):\n"
    return head + channel_body + SERVER


def hooks(channel_body: str) -> str:
    """The converted class from its first line up to handle_DATA."""
    outcome = run(program(channel_body))
    assert [r for r in outcome.reports if not r.note] == []
    assert "class Channel" not in outcome.source and "channel_class" not in outcome.source
    start = outcome.source.index("class Server:")
    return outcome.source[start : outcome.source.index("    async def handle_DATA")]


def test_guards_before_the_base_call_become_a_hook():
    assert (
        hooks("""
        def smtp_MAIL(self, arg):
            address, _ = self._getaddr(self._strip_command_keyword("FROM:", arg))
            if address.endswith("@spam.example"):
                self.push("550 Refused")
                return
            super().smtp_MAIL(arg)
    """)
        == """class Server:
    limit = 2

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # The checks of Channel.smtp_MAIL, then smtpd's acceptance.
        if address.endswith("@spam.example"):
            return "550 Refused"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

"""
    )


def test_if_else_around_the_base_call_and_channel_reads():
    assert (
        hooks("""
        def smtp_RCPT(self, arg):
            to = self._getaddr(self._strip_command_keyword("TO:", arg))[0]
            if len(self.rcpttos) >= self.smtp_server.limit or self.peer[0] != "127.0.0.1":
                self.push("452 Too many")
                return
            if to.startswith("ok@"):
                smtpd.SMTPChannel.smtp_RCPT(self, arg)
            else:
                self.push("550 No")
    """)
        == """class Server:
    limit = 2

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # The checks of Channel.smtp_RCPT, then smtpd's acceptance.
        to = address
        if len(envelope.rcpt_tos) >= self.limit or session.peer[0] != "127.0.0.1":
            return "452 Too many"
        if not to.startswith("ok@"):
            return "550 No"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

"""
    )


@pytest.mark.parametrize(
    "body, why",
    [
        (
            'if self.smtp_state:\n                self.push("550 No")\n                return\n'
            "            super().smtp_MAIL(arg)",
            "smtp_MAIL: it reads the channel's self.smtp_state",
        ),
        (
            'if "spam" in arg:\n                self.push("550 No")\n                return\n'
            "            self.set_terminator(b'.')",
            "as an SMTP subclass method: it calls the channel's self.set_terminator()",
        ),
        (
            'if blocked(self):\n                self.push("550 No")\n                return\n'
            "            super().smtp_MAIL(arg)",
            "it passes the channel object itself on",
        ),
        (
            'reply = self.push("250 OK")',
            "it replies or calls the base method inside an expression",
        ),
        (
            "if self.smtp_server.limit:\n                return 1\n"
            "            super().smtp_MAIL(arg)",
            "it returns a value (smtpd ignored it)",
        ),
    ],
)
def test_noop_guards(body, why):
    source = program(f"        def smtp_MAIL(self, arg):\n            {body}\n")
    reports = check_noop(source)
    assert any(why in r and "SMTPChannel subclass Channel left as is" in r for r in reports)
    assert any("the dispatcher's channel_class" in r for r in reports)


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            'if "spam" in arg:\n                self.push("550 No")\n                return\n'
            "            super().smtp_MAIL(arg)",
            'if "spam" in arg:\n            await self.push("550 No")\n            return\n'
            "        await super().smtp_MAIL(arg)",
        ),
        (
            'if self.seen_greeting:\n                self.push("550 No")\n                return\n'
            "            smtpd.SMTPChannel.smtp_MAIL(self, arg)",
            'if self.session.host_name:\n            await self.push("550 No")\n'
            "            return\n        await super().smtp_MAIL(arg)",
        ),
        (
            'print("MAIL")\n            super(Channel, self).smtp_MAIL(arg)',
            'print("MAIL")\n        await super().smtp_MAIL(arg)',
        ),
    ],
)
def test_overrides_no_hook_can_run_become_an_smtp_subclass(body, expected):
    """Checks on the raw argument or channel state run in the SMTP subclass, before the base."""
    outcome = run(program(f"        def smtp_MAIL(self, arg):\n            {body}\n"))
    assert [r for r in outcome.reports if not r.note] == []
    assert f"    async def smtp_MAIL(self, arg):\n        {expected}\n" in outcome.source
    assert (
        "class Channel(LongLinesSMTP):" in outcome.source and "channel_class" not in outcome.source
    )


def test_noop_channel_used_elsewhere():
    source = (
        program("        def smtp_MAIL(self, arg):\n            super().smtp_MAIL(arg)\n")
        + "    print(Channel)\n"
    )
    reports = check_noop(source)
    assert any("class Channel is used elsewhere than in channel_class" in r for r in reports)


def test_noop_other_methods_keep_the_channel():
    reports = check_noop(
        program(
            "        def smtp_MAIL(self, arg):\n"
            '            address = self._getaddr(self._strip_command_keyword("FROM:", arg))[0]\n'
            "            super().smtp_MAIL(arg)\n\n"
            "        def smtp_XCLIENT(self, arg):\n            self.push('250 OK')\n"
        )
    )
    assert any("it mixes policy overrides and new verbs" in r for r in reports)


def test_noop_policy_rule_skipped():
    source = program("        def smtp_MAIL(self, arg):\n            super().smtp_MAIL(arg)\n")
    assert run(source, "handler", "init", "startup", "channel", "imports").source != source
    check_noop(source, "handler", "init", "startup", "channel", "imports")

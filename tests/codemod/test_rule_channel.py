"""Rule channel: SMTPChannel subclasses are reported with their native equivalents."""

from __future__ import annotations

import pytest

pytest.importorskip("libcst")

from before_after import check_noop  # noqa: E402


def test_channel_subclass_is_reported_method_by_method():
    reports = check_noop("""
        import smtpd


        class Channel(smtpd.SMTPChannel):
            def smtp_MAIL(self, arg):
                smtpd.SMTPChannel.smtp_MAIL(self, arg)

            def smtp_XAUTH(self, arg):
                self.push("235 OK")

            def found_terminator(self):
                pass
    """)
    assert reports == [
        "t.py:4: SMTPChannel subclass Channel left as is (smtp_MAIL -> a handle_MAIL hook; "
        "smtp_XAUTH -> an aiosmtpd.smtp.SMTP subclass; found_terminator -> an aiosmtpd.smtp.SMTP "
        "subclass): found_terminator drives the line protocol itself "
        "(see migration_guide.md, section 'Rule channel: SMTPChannel subclasses')"
    ]


def test_noop_channel_rule_skipped_still_reports_leftovers():
    reports = check_noop(
        """
        import smtpd


        class Channel(smtpd.SMTPChannel):
            pass
    """,
        "handler",
    )
    assert reports == [
        "t.py:4: smtpd.SMTPChannel is still used here "
        "(see migration_guide.md, section 'What needs manual work')"
    ]

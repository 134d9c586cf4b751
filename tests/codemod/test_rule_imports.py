"""Rule imports: unused legacy imports go, the imports of emitted code come."""

from __future__ import annotations

import pytest

pytest.importorskip("libcst")

from before_after import check_noop, run  # noqa: E402

SOURCE = """
    import asyncore, smtpd
    import asynchat
    from smtpd import DEBUGSTREAM


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            print(data, file=DEBUGSTREAM)


    server = Sink(("localhost", 1025), None)
    asyncore.loop()
"""


def test_used_imports_stay_unused_ones_go():
    outcome = run(SOURCE)
    assert "import asyncore" not in outcome.source
    assert "import asynchat" not in outcome.source
    assert "from smtpd import DEBUGSTREAM\n" in outcome.source
    assert "from aiosmtpd.controller import Controller\n" in outcome.source
    assert [r.format("t.py") for r in outcome.reports if not r.note] == [
        "t.py:8: smtpd.DEBUGSTREAM is still used here "
        "(see migration_guide.md, section 'What needs manual work')"
    ]


def test_noop_nothing_converted_keeps_imports():
    assert check_noop("import asyncore\nimport smtpd\n") == []

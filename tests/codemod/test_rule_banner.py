"""Rules banner and debugstream: smtpd.__version__ becomes ident=, silencing DEBUGSTREAM goes."""

from __future__ import annotations

import pytest
from before_after import check_noop, run, unwrapped  # noqa: E402

SINK = """

    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Sink(("127.0.0.1", 2525), None)
    asyncore.loop()
"""
HEAD = "\n    import asyncore\n    import io\n    import smtpd\n\n"


def test_version_becomes_ident():
    outcome = run(HEAD + '    smtpd.__version__ = "ESMTP ready"\n' + SINK)
    assert [r for r in outcome.reports if not r.note] == []
    assert "__version__" not in outcome.source and "import smtpd" not in outcome.source
    assert (
        'server_controller = LongLinesController(server, hostname="127.0.0.1", port=2525, '
        'enable_SMTPUTF8=False, ident="ESMTP ready")'
    ) in unwrapped(outcome.source)


@pytest.mark.parametrize(
    "setting",
    [
        "smtpd.__version__ = BANNER",  # not a literal
        'smtpd.__version__ = ""',  # aiosmtpd would fall back to its own ident
        'if True:\n        smtpd.__version__ = "x"',  # not at the top level
        'smtpd.__version__ = "x"\n    print(smtpd.__version__)',  # read back
    ],
)
def test_noop_version_guards(setting):
    reports = check_noop(HEAD + f"    {setting}\n" + SINK)
    assert any("smtpd.__version__ (the greeting) is not set once" in r for r in reports)


def test_noop_version_set_after_serving():
    reports = check_noop(HEAD + SINK + '    smtpd.__version__ = "late"\n')
    assert any("smtpd.__version__ (the greeting) is not set once" in r for r in reports)


@pytest.mark.parametrize("sink", ["io.StringIO()", 'open(os.devnull, "w")'])
def test_silencing_debugstream_goes(sink):
    outcome = run(HEAD + f"    smtpd.DEBUGSTREAM = {sink}\n" + SINK)
    assert [r for r in outcome.reports if not r.note] == []
    assert "DEBUGSTREAM" not in outcome.source and "import smtpd" not in outcome.source


@pytest.mark.parametrize(
    "setting",
    [
        "smtpd.DEBUGSTREAM = sys.stderr",  # wants the diagnostics
        "smtpd.DEBUGSTREAM = buffer = io.StringIO()",  # readable afterwards
        "smtpd.DEBUGSTREAM = io.StringIO()\n    print(smtpd.DEBUGSTREAM)",
    ],
)
def test_other_debugstream_settings_stay_and_are_reported(setting):
    outcome = run(HEAD + f"    {setting}\n" + SINK)
    assert setting.split("\n")[0] in outcome.source and "class Sink:" in outcome.source
    reports = [r.format("t.py") for r in outcome.reports]
    assert any("smtpd.DEBUGSTREAM is still used here" in r for r in reports)


def test_noop_banner_rule_skipped():
    source = HEAD + '    smtpd.__version__ = "ESMTP ready"\n' + SINK
    check_noop(source, "handler", "init", "startup", "imports")


PRINTING_SINK = """

    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            # smtpd's own words
            {line}
            record(peer)

        def note(self, addr):
            {line}


    server = Sink(("127.0.0.1", 2525), None)
    asyncore.loop()
"""


@pytest.mark.parametrize(
    ("head", "line"),
    [
        ("", 'print("Peer: %s" % repr(peer), file=smtpd.DEBUGSTREAM)'),
        ("    from smtpd import DEBUGSTREAM\n", 'print("Peer:", peer, file=DEBUGSTREAM)'),
        ("", 'smtpd.DEBUGSTREAM.write(f"Peer: {peer[0]}\\n")'),
    ],
)
def test_prints_to_the_unset_debugstream_go(head, line):
    """smtpd's DEBUGSTREAM was a Devnull: what a program printed there was never seen."""
    outcome = run(HEAD + head + PRINTING_SINK.format(line=line))
    assert [r for r in outcome.reports if not r.note] == []
    source = outcome.source
    assert "DEBUGSTREAM" not in source and "import smtpd" not in source
    assert "# smtpd's own words\n" in source and "def note(self, addr):\n        pass\n" in source


@pytest.mark.parametrize(
    ("setting", "line"),
    [
        # the program reads its diagnostics: the print is seen
        ("smtpd.DEBUGSTREAM = sys.stderr", 'print("Peer:", peer, file=smtpd.DEBUGSTREAM)'),
        # the print does more than read: its arguments run code of the program
        ("", 'print("Peer:", describe(peer), file=smtpd.DEBUGSTREAM)'),
    ],
)
def test_other_prints_to_debugstream_stay_and_are_reported(setting, line):
    outcome = run(HEAD + f"    {setting}\n" + PRINTING_SINK.format(line=line))
    assert line in outcome.source
    reports = [r.format("t.py") for r in outcome.reports]
    assert any("smtpd.DEBUGSTREAM is still used here" in r for r in reports)

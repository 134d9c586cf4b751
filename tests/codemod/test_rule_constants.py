"""Rule constants: smtpd.DATA_SIZE_DEFAULT, NEWLINE, COMMASPACE and Devnull become the module's."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from before_after import run

HEAD = "\n    import asyncore\n    import smtpd\n\n"
SINK = """

    class Sink(smtpd.SMTPServer):
        def __init__(self, localaddr, data_size_limit=smtpd.DATA_SIZE_DEFAULT):
            smtpd.SMTPServer.__init__(self, localaddr, None, data_size_limit=data_size_limit)

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            print(smtpd.COMMASPACE.join(rcpttos), file=LOG)


    server = Sink(("127.0.0.1", 2525))
    asyncore.loop()
"""


def test_constants_and_devnull_become_the_modules_own():
    outcome = run(HEAD + "    LOG = smtpd.Devnull()\n" + SINK)
    assert [r for r in outcome.reports if not r.note] == []
    assert "import smtpd" not in outcome.source  # nothing uses it any more
    assert "print(COMMASPACE.join(rcpttos), file=LOG)" in outcome.source
    assert "DATA_SIZE_DEFAULT = 33554432" in outcome.source
    assert 'COMMASPACE = ", "' in outcome.source
    assert "LOG = Devnull()" in outcome.source
    assert "def __init__(self, localaddr, data_size_limit=DATA_SIZE_DEFAULT):" in outcome.source
    assert "NEWLINE" not in outcome.source  # only what the module uses is defined


def test_the_definitions_are_smtpds():
    from smtpd_compat.codemod.rules.constants import DEFINITIONS

    outcome = run(HEAD + "    LOG = smtpd.Devnull()\n    LINE = smtpd.NEWLINE\n" + SINK)
    space: dict = {}
    for definition in DEFINITIONS.values():
        assert definition in outcome.source
        exec(definition, space)
    # as smtpd defined them (Python 3.11's smtpd.py)
    assert space["DATA_SIZE_DEFAULT"] == 33554432
    assert (space["NEWLINE"], space["COMMASPACE"]) == ("\n", ", ")
    written = io.StringIO()
    with redirect_stdout(written):
        print("discarded", file=space["Devnull"]())
        space["Devnull"]().flush()
    assert written.getvalue() == ""


def test_a_name_the_module_uses_already_keeps_the_reference():
    outcome = run(HEAD + "    DATA_SIZE_DEFAULT = 10\n    LOG = open('/dev/null', 'w')\n" + SINK)
    reports = [r.message for r in outcome.reports if not r.note]
    assert reports == ["smtpd.DATA_SIZE_DEFAULT is still used here"]
    assert "data_size_limit=smtpd.DATA_SIZE_DEFAULT" in outcome.source
    assert "DATA_SIZE_DEFAULT = 33554432" not in outcome.source

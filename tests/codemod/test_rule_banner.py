"""Rules banner and debugstream: smtpd.__version__ becomes ident=; DEBUGSTREAM set to a sink
goes, set to a stream gets aiosmtpd's session log; debug switches go."""

from __future__ import annotations

import re

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
        "smtpd.DEBUGSTREAM = buffer = io.StringIO()",  # readable afterwards
        "smtpd.DEBUGSTREAM = io.StringIO()\n    print(smtpd.DEBUGSTREAM)",
    ],
)
def test_other_debugstream_settings_stay_and_are_reported(setting):
    outcome = run(HEAD + f"    {setting}\n" + SINK)
    assert setting.split("\n")[0] in outcome.source and "class Sink:" in outcome.source
    reports = [r.format("t.py") for r in outcome.reports]
    assert any("smtpd.DEBUGSTREAM is still used here" in r for r in reports)


@pytest.mark.parametrize(
    "settings",
    [
        ["smtpd.DEBUGSTREAM = sys.stderr"],
        ["if verbose:", "    smtpd.DEBUGSTREAM = sys.stdout  # -v", "else:", "    pass"],
        ["smtpd.DEBUGSTREAM = LogWriter(log)", "smtpd.DEBUGSTREAM = io.StringIO()"],
    ],
)
def test_a_debugstream_set_to_a_stream_gets_the_session_log(settings):
    """A program that wanted smtpd's diagnostics gets aiosmtpd's, noted at each line."""
    outcome = run(HEAD + "".join(f"    {line}\n" for line in settings) + SINK)
    assert [r for r in outcome.reports if not r.note] == []
    source = outcome.source
    assert not re.search(r"^ *smtpd\.DEBUGSTREAM", source, re.M) and "import smtpd" not in source
    assert "def send_mail_log_to(stream):" in source and "import logging\n" in source
    for line in settings:
        if "DEBUGSTREAM" in line:
            value = line.split(" = ")[1].split("  #")[0]
            call = f"send_mail_log_to({value})"
            assert line.replace(f"smtpd.DEBUGSTREAM = {value}", call) in source
    lines = [i + 5 for i, s in enumerate(settings) if "DEBUGSTREAM" in s]
    noted = [r for r in outcome.reports if r.note and "mail.log logger at INFO" in r.message]
    assert [r.line for r in noted] == lines


@pytest.mark.parametrize("owner", ["smtpd.SMTPServer", "smtpd.SMTPChannel", "asyncore.dispatcher"])
def test_a_debug_switch_smtpd_never_read_goes(owner):
    outcome = run(HEAD + f"    {owner}.debug = True  # chatty\n" + SINK)
    assert [r for r in outcome.reports if not r.note] == []
    assert ".debug" not in outcome.source and "import smtpd" not in outcome.source


def test_a_debug_switch_read_back_stays_and_is_reported():
    switch = "    smtpd.SMTPServer.debug = True\n    print(smtpd.SMTPServer.debug)\n"
    outcome = run(HEAD + switch + SINK)
    reports = [r.format("t.py") for r in outcome.reports]
    assert any("smtpd.SMTPServer.debug is still used here" in r for r in reports)


def test_the_session_log_reaches_the_stream_without_credentials():
    """The emitted helper, run against a real aiosmtpd server and smtplib client: the stream
    gets the session (peer, sender, recipient), a second call replaces the first stream, and
    an AUTH exchange's credentials never reach it."""
    import base64
    import io
    import logging
    import smtplib
    import socket
    import threading

    import aiosmtpd
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult

    from smtpd_compat.codemod.rules.debugstream import SEND_MAIL_LOG_TO_CODE
    from smtpd_compat.codemod.rules.startup import BOUND_CONTROLLER, LONG_LINES_CONTROLLER

    helper: dict = {"logging": logging, "aiosmtpd": aiosmtpd, "socket": socket}
    helper.update(threading=threading, Controller=Controller, SMTP=SMTP)
    exec(SEND_MAIL_LOG_TO_CODE + LONG_LINES_CONTROLLER + BOUND_CONTROLLER, helper)
    first, second = io.StringIO(), io.StringIO()
    helper["send_mail_log_to"](first)
    helper["send_mail_log_to"](second)

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    def accept(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=True)

    controller = helper["BoundController"](
        Sink(), ("127.0.0.1", 0), authenticator=accept, auth_require_tls=False
    )
    controller.start()
    try:
        port = controller.socket.getsockname()[1]
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo()
            client.user, client.password = "alice", "s3cret-Pa55"
            client.auth("LOGIN", client.auth_login)  # its answers are lines of their own
            client.sendmail("a@example.com", ["b@example.com"], "Subject: hi\r\n\r\nbody\r\n")
    finally:
        controller.stop()
        log = logging.getLogger("mail.log")
        for handler in [h for h in log.handlers if getattr(h, "debugstream", False)]:
            log.removeHandler(handler)
        log.setLevel(logging.NOTSET)
    text = second.getvalue()
    assert first.getvalue() == ""
    assert "sender: a@example.com" in text and "recip: b@example.com" in text
    assert "s3cret" not in text and "alice" not in text
    assert base64.b64encode(b"s3cret-Pa55").decode() not in text


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

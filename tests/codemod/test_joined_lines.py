"""Statements joined by ``;`` and end-of-line comments on the statements rules replace."""

from __future__ import annotations

from before_after import run  # noqa: E402

ALIAS = (
    "import smtpd, asyncore; smtpd.DebuggingServer(('127.0.0.1', 1025), None);"
    " asyncore.loop()  # noqa: E702\n"
)


def test_a_one_line_alias_script_converts_one_statement_per_line():
    outcome = run(ALIAS)
    assert "import smtpd" not in outcome.source and "asyncore" not in outcome.source
    assert outcome.source.endswith(
        "\nserver = LegacyDebuggingHandler()\n"
        "server_controller = LongLinesController(\n"
        "    server, hostname='127.0.0.1', port=1025, enable_SMTPUTF8=False\n"
        ")\n"
        "server_controller.start()  # noqa: E702\n"
        "threading.Event().wait()  # served until interrupted\n"
    )
    assert not [r for r in outcome.reports if not r.note]
    assert {r.line for r in outcome.reports} == {1}  # the line the server was made on
    assert run(outcome.source).source == outcome.source


def test_noop_joined_lines_stay_joined_and_reports_name_their_line():
    source = (
        "import asyncore\n"
        "import smtpd\n"
        "\n"
        "x = 1; servers = [smtpd.DebuggingServer(('127.0.0.1', 0), None)]\n"
        "asyncore.loop(); print('done')\n"
    )
    outcome = run(source)
    assert outcome.source == source
    lines = {r.line for r in outcome.reports if not r.note}
    assert lines == {4, 5}, outcome.reports


def test_end_of_line_comments_of_replaced_statements_stay():
    outcome = run(
        "import asyncore\n"
        "import smtpd\n"
        "\n"
        "server = smtpd.DebuggingServer(('127.0.0.1', 0), None)  # the sink\n"
        "asyncore.loop()  # serve forever\n"
    )
    assert "\nserver = LegacyDebuggingHandler()  # the sink\n" in outcome.source
    assert "\nserver_controller.start()  # serve forever\n" in outcome.source


def test_a_comment_too_long_for_the_new_line_goes_above_it():
    why = "# " + "w" * 90
    outcome = run(
        "import asyncore\n"
        "import smtpd\n"
        "\n"
        f"server = smtpd.DebuggingServer(('127.0.0.1', 0), None)  {why}\n"
        "asyncore.loop()\n"
    )
    assert f"\n{why}\nserver = LegacyDebuggingHandler()\n" in outcome.source


def test_a_comment_a_generated_comment_contains_still_stays():
    """``# serve`` is part of the generated ``# serves until interrupted ...``: it stays."""
    outcome = run(
        "import asyncore\n"
        "import smtpd\n"
        "\n"
        "\n"
        "class Sink(smtpd.SMTPServer):\n"
        "    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):\n"
        "        pass\n"
        "\n"
        "\n"
        "server = Sink(('127.0.0.1', 0), None)\n"
        "try:\n"
        "    asyncore.loop(timeout=1)  # serve\n"
        "except KeyboardInterrupt:  # ^C\n"
        "    server.close()  # close it\n"
    )
    assert "\n    server_controller.start()  # serve\n" in outcome.source
    assert "\n    server_controller.stop()  # close it\n" in outcome.source

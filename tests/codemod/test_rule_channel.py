"""Rule channel: SMTPChannel subclasses are reported with their native equivalents."""

from __future__ import annotations

import pytest
from before_after import check_noop, run  # noqa: E402


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
        "subclass): found_terminator drives the line protocol itself (aiosmtpd reads lines "
        "in its own loop, with no hook per line: move what it does for a command into that "
        "verb's smtp_VERB of an SMTP subclass, for the end of DATA into handle_DATA) "
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


LMTP_LIKE = """
    import asyncore
    import smtpd


    class LHLOChannel(smtpd.SMTPChannel):
{init}
        def smtp_LHLO(self, arg):
            super().smtp_HELO(arg)


    class Delivery(smtpd.SMTPServer):
{accept}
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    delivery = Delivery({args})
    asyncore.loop()
"""
FORWARDING_INIT = """        def __init__(self, server, conn, addr):
            smtpd.SMTPChannel.__init__(self, server, conn, addr)
            self.created_by = server
"""
ACCEPT = """        def handle_accept(self):
            conn, addr = self.accept()
            LHLOChannel(self, conn, addr)
"""
ACCEPT_PAIR = """        def handle_accept(self):
            pair = self.accept()
            if pair is not None:
                conn, addr = pair
                channel = LHLOChannel(self, conn, addr)
"""
ACCEPTED = """        def handle_accepted(self, sock, peer):
            LHLOChannel(self, sock, peer)
"""


@pytest.mark.parametrize("accept", [ACCEPT, ACCEPT_PAIR, ACCEPTED])
def test_a_handle_accept_that_only_builds_the_channel_is_its_channel_class(accept):
    source = LMTP_LIKE.format(init=FORWARDING_INIT, accept=accept, args='("127.0.0.1", 0), None')
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    converted = outcome.source
    assert (
        "class LHLOChannel(LongLinesSMTP):" in converted and "SMTPChannel.__init__" not in converted
    )
    assert (
        "    async def smtp_LHLO(self, arg):\n        await super().smtp_HELO(arg)\n" in converted
    )
    assert "accept" not in converted and "created_by" not in converted
    assert "delivery_controller = LHLOChannelController(delivery, (" in converted


def test_attributes_init_keeps_for_the_methods_are_kept_by_the_subclass():
    init = FORWARDING_INIT + "            self.greeted = 0\n"
    methods = (
        "\n        def smtp_XWHO(self, arg):\n"
        "            self.greeted += 1\n"
        "            self.push('250 %s %d' % (self.created_by.name, self.greeted))\n"
    )
    source = LMTP_LIKE.format(init=init + methods, accept=ACCEPT, args='("127.0.0.1", 0), None')
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    def __init__(self, *args, **kwargs):\n"
        "        super().__init__(*args, **kwargs)\n"
        "        self.created_by = self.event_handler\n"
        "        self.greeted = 0\n"
    ) in outcome.source


def test_values_computed_from_the_server_are_computed_from_the_handler():
    init = FORWARDING_INIT + (
        "            self.store = server.store\n"
        "            self.limit = len(self.smtp_server.rules) + 1\n"
        "            self.opened = time.monotonic()  # computed on every connection\n"
        "            self.ignored = (conn, addr)\n"
    )
    methods = (
        "\n        def smtp_XSTORE(self, arg):\n"
        "            self.push('250 %s %s' % (len(self.store), self.limit))\n"
    )
    source = LMTP_LIKE.format(init=init + methods, accept=ACCEPT, args='("127.0.0.1", 0), None')
    outcome = run(source.replace("    import smtpd\n", "    import smtpd\n    import time\n"))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "        super().__init__(*args, **kwargs)\n"
        "        self.store = self.event_handler.store\n"
        "        self.limit = len(self.event_handler.rules) + 1\n"
        "        self.opened = time.monotonic()  # computed on every connection\n"
    ) in outcome.source
    assert "ignored" not in outcome.source  # nothing reads it, computing it does nothing
    notes = [r.message for r in outcome.reports if r.note]
    assert any(n.startswith("LHLOChannel.__init__ computes self.opened on each") for n in notes)
    assert not any("computes self.store" in n for n in notes)  # no call: no effect


def test_a_logger_nothing_reads_goes_and_a_py2_object_base_is_no_other_base():
    """``self.log = logging.getLogger(...)`` replaced the dispatcher's log(), which nothing in
    smtpd, asynchat or asyncore calls; unread, getting a logger shows nowhere. The
    ``(smtpd.SMTPChannel, object)`` of Python 2 style code is one base."""
    init = FORWARDING_INIT + "            self.log = logging.getLogger(self.__class__.__name__)\n"
    methods = (
        "\n        def smtp_XWHO(self, arg):\n            self.push('250 %s' % self.created_by)\n"
    )
    source = LMTP_LIKE.format(init=init + methods, accept=ACCEPT, args='("127.0.0.1", 0), None')
    source = source.replace("    import smtpd\n", "    import logging\n    import smtpd\n")
    source = source.replace("(smtpd.SMTPChannel):", "(smtpd.SMTPChannel, object):")
    assert "(smtpd.SMTPChannel, object):" in source
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "self.log" not in outcome.source and "class LHLOChannel(LongLinesSMTP):" in outcome.source
    )
    assert not any("computes self.log" in r.message for r in outcome.reports)


NAMED = """
    import asyncore
    import smtpd


    class Named(smtpd.SMTPChannel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fqdn = "mx.example.org"


    class Sink(smtpd.SMTPServer):
        channel_class = Named

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    sink = Sink(("127.0.0.1", 0), None)
    asyncore.loop()
"""


def test_an_init_setting_fqdn_sets_the_hostname_and_notes_the_greeting():
    outcome = run(NAMED)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    def __init__(self, *args, **kwargs):\n"
        "        super().__init__(*args, **kwargs)\n"
        '        self.hostname = "mx.example.org"\n'
    ) in outcome.source
    notes = [r.message for r in outcome.reports if r.note]
    assert any(n.startswith("Named.__init__ sets fqdn after smtpd's greeting") for n in notes)
    assert "class NamedController(BoundController):" in outcome.source


@pytest.mark.parametrize(
    "kept, why",
    [
        ("self.seen = addr", "other methods read self.seen, set from addr"),
        ("self.other = print(conn)", "it keeps self.other, set from print(conn)"),
        ("self.seen = server.socket", "LHLOChannel.__init__ reads the server's socket: the conv"),
        ("self.seen = lambda: 1", "other methods read self.seen, set from lambda: 1"),
        ("self.seen = asyncore.socket_map", "other methods read self.seen, set from asyncore"),
        ("self.data_size_limit = 10", "it sets the channel's self.data_size_limit"),
        ("self.log = make_logger(conn)", "it keeps self.log, set from make_logger(conn)"),
    ],
)
def test_noop_init_values_the_subclass_cannot_compute(kept, why):
    init = FORWARDING_INIT + f"            {kept}\n"
    methods = "\n        def smtp_XSEEN(self, arg):\n            self.push(str(self.seen))\n"
    source = LMTP_LIKE.format(init=init + methods, accept=ACCEPT, args='("127.0.0.1", 0), None')
    reports = check_noop(source)
    assert any(why in r for r in reports), reports


@pytest.mark.parametrize(
    "init, accept, args, why",
    [
        (
            FORWARDING_INIT,
            ACCEPT,
            '("127.0.0.1", 0), None, data_size_limit=1024',
            "t.py:15: Delivery builds LHLOChannel with smtpd's default data_size_limit, not its "
            "own (1024)",
        ),
        (
            FORWARDING_INIT,
            "        channel_class = LHLOChannel\n",
            '("127.0.0.1", 0), None',
            "t.py:6: LHLOChannel.__init__ does not take the 7 arguments the server builds it "
            "with: smtpd raised TypeError on every connection",
        ),
        (
            FORWARDING_INIT.replace("= server", "= conn") + "\n        def smtp_XWHO(self, arg):\n"
            "            self.push(str(self.created_by))\n",
            ACCEPT,
            '("127.0.0.1", 0), None',
            "__init__ changes how the channel is built: other methods read self.created_by, "
            "set from conn",
        ),
        (
            "        def __init__(self, server, conn, addr):\n"
            "            smtpd.SMTPChannel.__init__(self, server, conn, addr, 1024)\n",
            ACCEPT,
            '("127.0.0.1", 0), None',
            "it does not pass its own arguments to the base __init__ exactly once",
        ),
        (
            "",
            "        def handle_accept(self):\n            conn, addr = self.accept()\n"
            "            print(conn)\n            LHLOChannel(self, conn, addr)\n",
            '("127.0.0.1", 0), None',
            "Delivery.handle_accept's own code cannot run in the connection_made of an aiosmtpd "
            "SMTP subclass: it uses the accepted socket conn",
        ),
    ],
)
def test_noop_channels_not_built_as_smtpd_built_them(init, accept, args, why):
    reports = check_noop(LMTP_LIKE.format(init=init, accept=accept, args=args))
    assert any(why in r for r in reports), reports


QUIET = """
    import asyncore
    import logging
    import smtpd


    class Quiet(smtpd.SMTPChannel):
        def handle_error(self):
{body}


    class Sink(smtpd.SMTPServer):
        channel_class = Quiet

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            raise ValueError(mailfrom)


    sink = Sink(("127.0.0.1", 0), None)
    asyncore.loop()
"""


def test_handle_error_reports_where_handle_data_catches_the_error():
    body = (
        "            # one line per failure, not asyncore's report\n"
        '            logging.exception("failed for %s", self.peer)\n'
        "            self.close()"
    )
    outcome = run(QUIET.format(body=body))
    assert [r for r in outcome.reports if not r.note] == []
    converted = outcome.source
    assert (
        "        except Exception:\n"
        "            # smtpd dropped the connection: a temporary failure, so the sender retries.\n"
        "            # one line per failure, not asyncore's report\n"
        '            logging.exception("failed for %s", session.peer)\n'
        '            return "451 Requested action aborted: error in processing"\n'
    ) in converted
    assert "class Quiet" not in converted and "channel_class" not in converted
    assert "traceback" not in converted


@pytest.mark.parametrize(
    "body, why",
    [
        ("            raise", "it raises, so the error ended smtpd's asyncore.loop()"),
        ('            print("lost")\n            raise', "it raises, so the error ended"),
        (
            "            print(self.smtp_state)\n            self.close()",
            "it uses the channel's self.smtp_state",
        ),
        ("            raise RuntimeError()\n            self.close()", "it raises"),
        ("            print(data)\n            self.close()", "it uses a name 'data' that"),
    ],
)
def test_noop_handle_error_that_does_more(body, why):
    reports = check_noop(QUIET.format(body=body))
    assert any(f"handle_error: {why}" in r for r in reports), reports


@pytest.mark.parametrize("closing", ["", "\n            self.close_when_done()"])
def test_handle_error_that_does_not_close_is_noted(closing):
    body = '            print("lost", self.addr)' + closing
    outcome = run(QUIET.format(body=body))
    assert [r for r in outcome.reports if not r.note] == []
    assert '            print("lost", session.peer)\n            return "451 ' in outcome.source
    noted = [r.message for r in outcome.reports if r.note and "Quiet.handle_error" in r.message]
    if closing:
        assert noted == []
    else:
        assert noted == [
            "Quiet.handle_error does not close the channel: after an exception in "
            "process_message smtpd sent no reply and the client waited until its own timeout; "
            "converted code answers 451 and the session goes on"
        ]


def test_a_channel_defined_below_the_server_that_builds_it():
    outcome = run(
        """
        import asyncore
        from smtpd import SMTPChannel, SMTPServer


        class Delivery(SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                return None

            def handle_accept(self):
                conn, addr = self.accept()
                channel = LHLOChannel(self, conn, addr)


        class LHLOChannel(SMTPChannel):
            # LMTP's greeting, answered as HELO
            def smtp_LHLO(self, arg):
                self.smtp_HELO(arg)


        server = Delivery(("127.0.0.1", 0), None)
        asyncore.loop()
        """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    # LMTP's greeting, answered as HELO\n"
        "    async def smtp_LHLO(self, arg):\n"
        "        await self.smtp_HELO(arg)\n"
    ) in outcome.source
    assert "accept" not in outcome.source and "SMTPChannel" not in outcome.source


TAGGED = """
    import asyncore
    import smtpd


    class TagChannel(smtpd.SMTPChannel):
{init}
        def smtp_XTAG(self, arg):
            self.push("250 %s %s" % (self.tag, self.limit))


    class Sink(smtpd.SMTPServer):
        def handle_accept(self):
            conn, addr = self.accept()
            TagChannel(self, conn, addr{extra})

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    sink = Sink(("127.0.0.1", 0), None)
    asyncore.loop()
"""
TAG_INIT = """        def __init__(self, server, conn, addr, tag, limit=3):
            smtpd.SMTPChannel.__init__(self, server, conn, addr)
            self.tag = tag
            self.limit = limit * 2
"""


@pytest.mark.parametrize(
    "extra, tag, limit",
    [
        (", self.name.upper()", "self.event_handler.name.upper()", "3 * 2"),
        (", tag=self.name, limit=4 + 1", "self.event_handler.name", "(4 + 1) * 2"),
        (", 'x', 5", "'x'", "5 * 2"),
    ],
)
def test_values_a_handle_accept_passes_are_computed_from_the_handler(extra, tag, limit):
    outcome = run(TAGGED.format(init=TAG_INIT, extra=extra))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "        super().__init__(*args, **kwargs)\n"
        f"        self.tag = {tag}\n"
        f"        self.limit = {limit}\n"
    ) in outcome.source
    assert "handle_accept" not in outcome.source
    noted = any(
        "the server computes self.name.upper() for each" in r.message for r in outcome.reports
    )
    assert noted is ("upper" in extra)


@pytest.mark.parametrize(
    "init, extra, why",
    [
        (TAG_INIT, ", conn", "the server passes conn as tag, which the handler cannot compute"),
        (TAG_INIT, "", "TagChannel.__init__'s tag gets no value it can keep"),
        (TAG_INIT.replace("limit=3", "limit=[]"), ", 1", "__init__'s limit gets no value it"),
        (TAG_INIT, ", 1, 2, 3", "the server passes TagChannel arguments its __init__ does not"),
        (TAG_INIT, ", self.socket", "TagChannel.__init__ reads the server's socket"),
    ],
)
def test_noop_arguments_a_handle_accept_passes(init, extra, why):
    reports = check_noop(TAGGED.format(init=init, extra=extra))
    assert any(why in r for r in reports), reports


def test_noop_arguments_for_smtpds_own_parameters():
    source = TAGGED.format(init="", extra=", 1024").replace("(self.tag, self.limit)", "(1, 2)")
    reports = check_noop(source)
    assert any("Sink passes TagChannel more than (self, conn, addr): smtpd" in r for r in reports)


def test_noop_extra_init_arguments_through_channel_class():
    source = TAGGED.format(init=TAG_INIT, extra="").replace(
        "        def handle_accept(self):\n"
        "            conn, addr = self.accept()\n"
        "            TagChannel(self, conn, addr)\n",
        "        channel_class = TagChannel\n",
    )
    reports = check_noop(source)
    assert any("which smtpd's channel_class call filled with its own" in r for r in reports)


def test_noop_a_channel_two_servers_build_with_their_own_arguments():
    other = (
        "    class Other(smtpd.SMTPServer):\n"
        "        def handle_accept(self):\n"
        "            conn, addr = self.accept()\n"
        "            TagChannel(self, conn, addr, 'other')\n\n"
        "        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):\n"
        "            pass\n\n\n"
    )
    source = TAGGED.format(init=TAG_INIT, extra=", 'first'")
    source = source.replace(
        "    sink = Sink(", other + "    other = Other(('', 0), None)\n    sink = Sink("
    )
    reports = check_noop(source)
    assert any("Sink and Other build it, each with its own arguments" in r for r in reports)


GETADDR = """
    import asyncore
    import smtpd
    from email.errors import HeaderParseError


    class Lenient(smtpd.SMTPChannel):
        def _getaddr(self, arg):
            \"\"\"No exception on an unparsable address.\"\"\"
            try:
                return {base}
            except HeaderParseError:
                return {fallback}


    class Sink(smtpd.SMTPServer):
        channel_class = Lenient

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    sink = Sink(("127.0.0.1", 0), None)
    asyncore.loop()
"""


@pytest.mark.parametrize("base", ["super()._getaddr(arg)", "smtpd.SMTPChannel._getaddr(self, arg)"])
def test_a_getaddr_that_only_catches_header_parse_errors_is_aiosmtpds_own(base):
    """aiosmtpd's _getaddr returns no address where email's parser fails, as the override
    did; it answers 553 there where the override made smtpd answer 501 (noted)."""
    outcome = run(GETADDR.format(base=base, fallback='None, ""'))
    assert [r for r in outcome.reports if not r.note] == []
    assert "_getaddr" not in outcome.source and "HeaderParseError" not in outcome.source
    assert "class Lenient(LongLinesSMTP):" in outcome.source
    notes = [r.message for r in outcome.reports if r.note]
    assert any(n.startswith("Lenient._getaddr made MAIL and RCPT answer 501") for n in notes)


@pytest.mark.parametrize(
    "base, fallback",
    [
        ("super()._getaddr(arg)", '"nobody@example.com", ""'),  # an address of its own
        ("super()._getaddr(arg.lower())", 'None, ""'),  # another argument
        ("self.parse(arg)", 'None, ""'),
    ],
)
def test_noop_getaddr_overrides_that_do_more(base, fallback):
    reports = check_noop(GETADDR.format(base=base, fallback=fallback))
    assert any("_getaddr has no hook equivalent" in r for r in reports), reports

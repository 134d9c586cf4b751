"""Accept code: a server's handle_accept/handle_accepted runs in connection_made (_accept)."""

from __future__ import annotations

import pytest
from before_after import check_noop, run  # noqa: E402

PROGRAM = """
    import asyncore
    import smtpd


    class Sink(smtpd.SMTPServer):
        accepted = 0
{accept}
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Sink(("127.0.0.1", 2525), None)
    asyncore.loop()
"""
BASE_CALL = """
        def handle_accepted(self, conn, addr):
            self.accepted += 1
            # the peer, once per connection
            print("from", addr[0])
            super().handle_accepted(conn, addr)
"""
CHANNEL = """
    class Channel(smtpd.SMTPChannel):
        def smtp_XPING(self, arg):
            self.push("250 pong")

"""
BY_HAND = """
        def handle_accept(self):
            pair = self.accept()
            if pair is not None:
                sock, peer = pair
                self.accepted += 1
                Channel(self, sock, peer)
"""
CONNECTION_MADE = """    def connection_made(self, transport):
        super().connection_made(transport)
        if self.controller.self_check(transport):
            return  # start()'s own connection: smtpd had none
"""


def test_code_around_the_base_call_runs_in_a_session_of_its_own():
    outcome = run(PROGRAM.format(accept=BASE_CALL))
    assert [r for r in outcome.reports if not r.note] == []
    source = outcome.source
    assert "class SinkSession(LongLinesSMTP):\n" in source
    assert (
        CONNECTION_MADE + "        # Sink.handle_accepted's own code, for each connection\n"
        '        addr = transport.get_extra_info("peername")\n'
        "        self.event_handler.accepted += 1\n"
        "        # the peer, once per connection\n"
        '        print("from", addr[0])\n'
    ) in source
    assert "class SinkSessionController(BoundController):\n" in source
    assert "        session.controller = self\n" in source
    assert "    def _trigger_server(self):\n" in source and "import socket\n" in source
    assert "server_controller = SinkSessionController(server, (" in source
    assert "def handle_accepted" not in source and "import smtpd" not in source


def by_hand(program: str) -> str:
    """The program with a channel of its own, built by hand in handle_accept."""
    return program.replace("\n\n    class Sink", "\n\n" + CHANNEL + "\n    class Sink", 1)


def test_a_channel_built_by_hand_gets_the_accept_code():
    outcome = run(by_hand(PROGRAM.format(accept=BY_HAND)))
    assert [r for r in outcome.reports if not r.note] == []
    source = outcome.source
    assert (
        CONNECTION_MADE + "        # Sink.handle_accept's own code, for each connection\n"
        "        self.event_handler.accepted += 1\n\n"
        "    async def smtp_XPING(self, arg):\n"
    ) in source
    assert "get_extra_info" not in source.split("def self_check")[0].split("connection_made")[1]
    assert "class ChannelController(BoundController):\n" in source
    assert "def handle_accept" not in source and "self.accept()" not in source


def test_an_accept_code_that_may_raise_is_noted():
    accept = BASE_CALL.replace('print("from", addr[0])', "log_peer(addr)")
    outcome = run(PROGRAM.format(accept=accept))
    assert [r for r in outcome.reports if not r.note] == []
    assert any(
        "Sink.handle_accepted's own code runs in connection_made" in r.message
        for r in outcome.reports
    )


@pytest.mark.parametrize(
    "change, why",
    [
        ('print("from", addr[0])', "it uses the accepted socket conn"),
        ("self.accepted += 1", "it uses the accepted socket conn"),
    ],
)
def test_noop_accept_code_using_the_socket(change, why):
    accept = BASE_CALL.replace(change, "conn.setblocking(False)")
    reports = check_noop(PROGRAM.format(accept=accept))
    assert any(why in r and "handle_accepted's own code cannot run" in r for r in reports), reports


@pytest.mark.parametrize(
    "body, why",
    [
        ("if self.accepted > 3:\n                return", "it returns, raises, yields"),
        ("raise RuntimeError(addr)", "it returns, raises, yields"),
        ("print(asyncore.socket_map)", "it uses asyncore.socket_map"),
        ("print(transport)", "a name 'transport' that connection_made has too"),
    ],
)
def test_noop_accept_code_that_cannot_move(body, why):
    accept = BASE_CALL.replace('print("from", addr[0])', body)
    reports = check_noop(PROGRAM.format(accept=accept))
    assert any(why in r for r in reports), reports


def test_noop_accept_code_reading_the_dispatcher():
    accept = BASE_CALL.replace('print("from", addr[0])', "print(self.socket)")
    reports = check_noop(PROGRAM.format(accept=accept))
    assert any("Sink.handle_accepted reads self.socket" in r for r in reports), reports


def test_noop_building_the_channel_twice():
    accept = BY_HAND.replace(
        "Channel(self, sock, peer)",
        "Channel(self, sock, peer)\n" + " " * 16 + "Channel(self, sock, peer)",
    )
    reports = check_noop(by_hand(PROGRAM.format(accept=accept)))
    assert any("does not build the channel exactly once" in r for r in reports), reports


def test_a_hand_built_channel_keeps_smtpds_settings_not_the_servers():
    source = by_hand(PROGRAM.format(accept=BY_HAND)).replace(
        '("127.0.0.1", 2525), None)', '("127.0.0.1", 2525), None, decode_data=True)'
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    def factory(self):\n"
        "        # Sink built each channel by hand: with smtpd's settings, not its own\n"
        "        settings = dict(self.SMTP_kwargs, data_size_limit=33554432)\n"
        "        settings.update(enable_SMTPUTF8=False, decode_data=False)\n"
        "        session = Channel(self.handler, **settings)\n"
    ) in outcome.source
    assert 'data.decode("utf-8")' not in outcome.source  # the channel's bytes, as smtpd's
    assert "mail_options=list(envelope.mail_options)" in outcome.source


def test_noop_session_name_taken():
    source = PROGRAM.format(accept=BASE_CALL) + "\n    SinkSession = None\n"
    reports = check_noop(source)
    assert any("the name SinkSession is taken in this module" in r for r in reports), reports


SETTINGS_CHANNEL = """
    import asyncore
    import smtpd


    class Trap(smtpd.SMTPChannel):
        def __init__(self, server, conn, addr, limit, map, utf8, decode, audit):
            self.audit = audit
            super().__init__(server, conn, addr, limit, map, utf8, decode)

        def smtp_XAUDIT(self, arg):
            self.push("250 %d" % len(self.audit))


    class Sink(smtpd.SMTPServer):
        audit = []

        def handle_accepted(self, conn, addr):
            print("client", addr[0])
            Trap(self, conn, addr, {settings}, self.audit)

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Sink(("127.0.0.1", 2525), None)
    asyncore.loop()
"""
OWN_SETTINGS = "self.data_size_limit, self._map, self.enable_SMTPUTF8, self._decode_data"


def test_a_channel_given_the_servers_own_settings_and_extras():
    outcome = run(SETTINGS_CHANNEL.format(settings=OWN_SETTINGS))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    def __init__(self, *args, **kwargs):\n"
        "        super().__init__(*args, **kwargs)\n"
        "        self.audit = self.event_handler.audit\n"
    ) in outcome.source
    assert "        return Trap(" not in outcome.source  # the accepting factory
    assert "        session = Trap(self.handler, **self.SMTP_kwargs)\n" in outcome.source
    assert '        print("client", addr[0])\n' in outcome.source


def test_noop_a_channel_given_settings_other_than_the_servers():
    settings = OWN_SETTINGS.replace("self.data_size_limit", "1024")
    reports = check_noop(SETTINGS_CHANNEL.format(settings=settings))
    assert any("passes smtpd's settings other than its own" in r for r in reports), reports


def test_noop_a_channel_without_init_given_settings_other_than_the_servers():
    source = SETTINGS_CHANNEL.format(settings=OWN_SETTINGS.replace("self._map", "None"))
    source = source.replace(", self.audit)", ")")
    start, end = source.index("        def __init__"), source.index("        def smtp_XAUDIT")
    source = source[:start] + source[end:].replace("len(self.audit)", "0")
    reports = check_noop(source)
    assert any("Sink builds Trap: the server passes smtpd's settings" in r for r in reports), (
        reports
    )


POLICY_CHANNEL = """
    import asyncore
    import smtpd


    class Channel(smtpd.SMTPChannel):
        def smtp_RCPT(self, arg):
{check}
            smtpd.SMTPChannel.smtp_RCPT(self, arg)


    class Sink(smtpd.SMTPServer):
        channel_class = Channel

        def handle_accepted(self, conn, addr):
            print("client", addr[0])
            super().handle_accepted(conn, addr)

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Sink(("127.0.0.1", 2525), None)
    asyncore.loop()
"""


def test_policy_hooks_stay_hooks_beside_the_accept_code_when_they_must():
    check = (
        '            address = self._getaddr(self._strip_command_keyword("TO:", arg))[0]\n'
        '            if address and address.endswith("@spam.example"):\n'
        '                self.push("550 no")\n'
        "                return"
    )
    outcome = run(POLICY_CHANNEL.format(check=check))
    assert [r for r in outcome.reports if not r.note] == []
    source = outcome.source
    assert (
        "    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):\n"
        in (source)
    )
    assert (
        "class Channel(LongLinesSMTP):\n" in source
        and "class ChannelController(BoundController):\n" in (source)
    )
    assert "def smtp_RCPT" not in source


def test_policy_overrides_join_the_accept_codes_subclass_when_they_can():
    check = (
        '            if arg and "spam" in arg:\n'
        '                self.push("550 no")\n'
        "                return"
    )
    outcome = run(POLICY_CHANNEL.format(check=check))
    assert [r for r in outcome.reports if not r.note] == []
    assert "    async def smtp_RCPT(self, arg):\n" in outcome.source
    assert "handle_RCPT" not in outcome.source


def test_a_py2_accept_building_smtpds_own_channel_only_keeps_its_settings():
    source = PROGRAM.format(
        accept=(
            "\n        def handle_accept(self):\n"
            "            conn, addr = self.accept()\n"
            "            channel = smtpd.SMTPChannel(self, conn, addr)\n"
        )
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert "class SinkSession(LongLinesSMTP):\n" in outcome.source
    assert "connection_made" not in outcome.source and "_trigger_server" not in outcome.source
    assert "        return SinkSession(self.handler, **settings)\n" in outcome.source


INIT_CODE = """
    import asyncore
    import smtpd


    class Channel(smtpd.SMTPChannel):
        def __init__(self, server, conn, addr, *args, **kwargs):
            super().__init__(server, conn, addr, *args, **kwargs)
            {code}


    class Sink(smtpd.SMTPServer):
        channel_class = Channel
        clients = 0

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    sink = Sink(("127.0.0.1", 2525), None)
    asyncore.loop()
"""


def test_a_channel_inits_own_code_runs_in_connection_made():
    outcome = run(INIT_CODE.format(code='server.clients += 1\n            print("from", addr[0])'))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        CONNECTION_MADE + "        # Channel.__init__'s own code, for each connection\n"
        '        addr = transport.get_extra_info("peername")\n'
        "        self.event_handler.clients += 1\n"
        '        print("from", addr[0])\n'
    ) in outcome.source
    assert not any("own code runs in connection_made" in r.message for r in outcome.reports)


def test_a_channel_inits_code_that_may_raise_is_noted():
    outcome = run(INIT_CODE.format(code="log(self.smtp_server, self.peer)"))
    assert [r for r in outcome.reports if not r.note] == []
    assert "        log(self.event_handler, self.session.peer)\n" in outcome.source
    assert any(
        "Channel.__init__'s own code runs in connection_made" in r.message for r in outcome.reports
    )


@pytest.mark.parametrize(
    "code, why",
    [
        ("print(conn)", "it uses conn"),
        ("print(args)", "it uses args"),
        ("self.set_terminator(b'.')", "it uses the channel's self.set_terminator"),
        ("self.count += 1", "it changes the channel's own state"),
        ("print(asyncore.socket_map)", "it uses asyncore.socket_map"),
        ("print(server.socket)", "reads the server's socket"),
    ],
)
def test_noop_channel_init_code_that_cannot_move(code, why):
    reports = check_noop(INIT_CODE.format(code=code))
    assert any(why in r for r in reports), reports


def test_init_code_gets_the_extra_values_the_server_passes_and_the_attributes_it_reads():
    source = """
    import asyncore
    import smtpd


    class Channel(smtpd.SMTPChannel):
        def __init__(self, server, conn, addr, logger, label="trap"):
            smtpd.SMTPChannel.__init__(self, server, conn, addr)
            self.label = label
            logger.info("%s client %s", self.label, addr[0])


    class Sink(smtpd.SMTPServer):
        def handle_accepted(self, conn, addr):
            Channel(self, conn, addr, self.logger)

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    sink = Sink(("127.0.0.1", 2525), None)
    asyncore.loop()
    """
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert '        self.label = "trap"\n' in outcome.source  # read by the code: kept
    assert '        self.event_handler.logger.info("%s client %s", self.label, addr[0])\n' in (
        outcome.source
    )


def test_a_channel_class_built_with_the_servers_own_settings_is_smtpds_build():
    accept = (
        "\n        def handle_accepted(self, conn, addr):\n"
        '            print("from", addr[0])\n'
        "            self.channel_class(self, conn, addr, self.data_size_limit, self._map,\n"
        "                               self.enable_SMTPUTF8, self._decode_data)\n"
    )
    source = PROGRAM.format(accept=accept).replace(
        '("127.0.0.1", 2525), None)', '("127.0.0.1", 2525), None, decode_data=True)'
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert "        session = SinkSession(self.handler, **self.SMTP_kwargs)\n" in outcome.source
    assert 'data = data.decode("utf-8")' in outcome.source  # the server's decode_data=True


TAGGED = """
    class Channel(smtpd.SMTPChannel):
        def __init__(self, server, conn, addr, tag=None):
            smtpd.SMTPChannel.__init__(self, server, conn, addr)
            self.tag = tag
            self.opened = 0

        def smtp_XTAG(self, arg):
            self.push("250 %s %s" % (self.tag, self.opened))

"""
TAGGING_ACCEPT = """
        def handle_accept(self):
            pair = self.accept()
            if pair is not None:
                conn, addr = pair
                tag = "peer-%s" % addr[0]
                Channel(self, conn, addr, tag={value})
"""


def test_a_value_the_accept_code_computes_is_kept_where_that_code_runs():
    """tag exists only in connection_made, after the accept code: the channel keeps it there."""
    source = TAGGED + PROGRAM.format(accept=TAGGING_ACCEPT.format(value="tag"))
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    def __init__(self, *args, **kwargs):\n"
        "        super().__init__(*args, **kwargs)\n"
        "        self.opened = 0\n"
    ) in outcome.source
    assert (
        "        # Sink.handle_accept's own code, for each connection\n"
        '        addr = transport.get_extra_info("peername")\n'
        '        tag = "peer-%s" % addr[0]\n'
        "        # Channel.__init__'s own code, for each connection\n"
        "        self.tag = tag\n"
    ) in outcome.source


def test_noop_a_value_read_from_a_name_only_the_accept_itself_sets():
    source = TAGGED + PROGRAM.format(accept=TAGGING_ACCEPT.format(value="pair"))
    reports = check_noop(source)
    assert any("the server passes pair as tag, which the handler cannot" in r for r in reports)


def test_noop_accept_code_keeping_the_channel_it_builds():
    accept = """
        def handle_accepted(self, conn, addr):
            channel = Channel(self, conn, addr)
            self.open = [channel]
"""
    reports = check_noop(CHANNEL + PROGRAM.format(accept=accept))
    assert any("it uses the channel it builds (channel)" in r for r in reports), reports


LEADING_CHANNEL = """
    import asyncore
    import smtpd


    class Extras(smtpd.SMTPChannel):
        def __init__(self, features, *args, **kw):
            self.lines = "".join(features)
            super().__init__(*args, **kw)

        def smtp_XFEAT(self, arg):
            self.push("250 " + self.lines)


    class Sink(smtpd.SMTPServer):
        channel_class = Extras
        features = ["SIZE", "DSN"]

        def handle_accepted(self, conn, addr):
            {build}

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass
        {more}

    server = Sink(("127.0.0.1", 2525), None{options})
    asyncore.loop()
"""


def leading(build: str, more: str = "", options: str = "") -> str:
    return LEADING_CHANNEL.format(build=build, more=more, options=options)


@pytest.mark.parametrize(
    "build",
    [
        "self.channel_class(self.features, self, conn, addr)",
        "Extras(self.features, self, conn, addr, decode_data=self._decode_data)",
        "self.kept = self.channel_class(self.features, self, conn, addr, map=self._map)",
    ],
)
def test_a_channel_given_its_own_arguments_before_smtpds(build):
    source = leading(build)
    if build.startswith("Extras("):  # built by name: no channel_class besides
        source = source.replace("        channel_class = Extras\n", "")
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    def __init__(self, *args, **kwargs):\n"
        "        super().__init__(*args, **kwargs)\n"
        '        self.lines = "".join(self.event_handler.features)\n'
    ) in outcome.source
    assert "        return Extras(self.handler, **self.SMTP_kwargs)\n" in outcome.source
    assert "kept" not in outcome.source  # kept on the server, never read: it goes


@pytest.mark.parametrize(
    ("build", "more", "options", "why"),
    [
        (  # the server reads the channel it keeps
            "self.kept = self.channel_class(self.features, self, conn, addr)",
            "\n        def last(self):\n            return self.kept\n",
            "",
            "Sink keeps the channel it builds as self.kept, and it is read",
        ),
        (  # code outside the class reads it
            "self.kept = self.channel_class(self.features, self, conn, addr)",
            "",
            ")\n    print(server.kept",
            "Sink keeps the channel it builds as self.kept, and it is read",
        ),
        (  # a setting that is not the server's own
            "self.channel_class(self.features, self, conn, addr, decode_data=True)",
            "",
            "",
            "only smtpd's settings by keyword, each the server's own, convert",
        ),
        (  # a setting the server has and does not pass: the channel took smtpd's default
            "self.channel_class(self.features, self, conn, addr)",
            "",
            ", decode_data=True",
            "Sink builds Extras with smtpd's default decode_data, not its own (True)",
        ),
        (  # built through smtpd's handle_accepted: it filled the extras with its settings
            "super().handle_accepted(conn, addr)",
            "",
            "",
            "its __init__ takes features, which smtpd's channel_class call filled",
        ),
    ],
)
def test_noop_a_channel_given_its_own_arguments_otherwise(build, more, options, why):
    reports = check_noop(leading(build, more, options))
    assert any(why in r for r in reports), reports


def test_accept_code_that_only_prints_to_smtpds_unset_debugstream_makes_no_session_code():
    """heldout10/test_verb_pureproxy_channel: smtpd's own accept, copied with its print to a
    DEBUGSTREAM nothing sets (it went nowhere): that print goes, and nothing else ran per
    connection, so no connection_made is written (nor the address it would read)."""
    accept = """
        def handle_accept(self):
            conn, addr = self.accept()
            print("Incoming connection from %s" % repr(addr), file=smtpd.DEBUGSTREAM)
            Channel(self, conn, addr)
"""
    outcome = run(by_hand(PROGRAM.format(accept=accept)))
    assert [r for r in outcome.reports if not r.note] == [], outcome.reports
    assert "def connection_made" not in outcome.source and "DEBUGSTREAM" not in outcome.source
    assert "get_extra_info" not in outcome.source  # no address read, no start() probe

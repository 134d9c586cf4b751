"""Rule verbs: a channel adding verbs becomes an aiosmtpd SMTP subclass."""

from __future__ import annotations

import pytest
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
    assert (
        "class Channel(LongLinesSMTP):\n" in source and "from aiosmtpd.smtp import SMTP\n" in source
    )
    assert (
        "    async def smtp_XCLIENT(self, arg):\n"
        '        """Accepted and ignored."""\n'
        '        await self.push("220 XCLIENT ok")\n'
        "        return\n\n"
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
        ("self.set_terminator(b'.')", "smtp_XCLIENT: it calls the channel's self.set_terminator()"),
        ("self.smtp_state = 1", "smtp_XCLIENT: it reads the channel's self.smtp_state"),
        ("self.peer = arg", "smtp_XCLIENT: it sets the channel's self.peer"),
        (  # its new name in the SMTP subclass is taken too
            "self.session = self.channel_session = arg",
            "it keeps attributes aiosmtpd's SMTP has too (session)",
        ),
        ("smtpd.SMTPChannel.smtp_XOTHER(self, arg)", "it calls the base smtp_XOTHER"),
        ("log(self)", "smtp_XCLIENT: it passes the channel object itself on"),
        ("return 1", "smtp_XCLIENT: it returns a value"),
        ("raise asyncore.ExitNow()", "smtp_XCLIENT: it raises asyncore.ExitNow, which ended"),
        ("self.push(smtpd.__version__)", "smtp_XCLIENT: it uses smtpd.__version__, which a"),
    ],
)
def test_noop_verbs_that_reach_the_channel(body, why):
    methods = f"        def smtp_XCLIENT(self, arg):\n            {body}\n"
    reports = check_noop(PROGRAM.format(methods=methods))
    assert any(why in r for r in reports), reports


STARTTLS_EHLO = """        def smtp_EHLO(self, arg):
            self.seen_greeting = arg
            self.extended_smtp = True
            self.push("250-%s" % self.fqdn)
            self.push("250-STARTTLS")
            if self.data_size_limit:
                self.push("250-SIZE %s" % self.data_size_limit)
                self.command_size_limits["MAIL"] += 26
            self.push("250 HELP")

        def smtp_STARTTLS(self, arg):
            self.push("454 TLS not available" if self.smtp_server.context is None else "220 Go")
"""


def test_a_copied_ehlo_raises_aiosmtpds_mail_limit_and_starttls_replaces_aiosmtpds():
    """Both servers keep the per-command limits as command_size_limits (a defaultdict)."""
    outcome = run(PROGRAM.format(methods=STARTTLS_EHLO))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "        if self.data_size_limit:\n"
        '            await self.push("250-SIZE %s" % self.data_size_limit)\n'
        '            self.command_size_limits["MAIL"] += 26\n'
    ) in outcome.source
    assert "    async def smtp_STARTTLS(self, arg):\n" in outcome.source
    notes = [r.message for r in outcome.reports if r.note]
    assert not any(n.startswith("Channel.smtp_EHLO") for n in notes)  # it cannot raise


SESSION_ATTRIBUTE = """        def __init__(self, *args, **kwargs):
            smtpd.SMTPChannel.__init__(self, *args, **kwargs)
            self.session = []

        def smtp_XCLIENT(self, arg):
            self.session.append(arg)
            self.push("250 %s seen %d" % (self.seen_greeting, len(self.session)))
"""


def test_class_constants_stay_in_the_smtp_subclass():
    methods = (
        "        LIMIT: int = 3  # per session\n"
        '        REPLY = "250 %d left"\n\n'
        "        def smtp_XLEFT(self, arg):\n"
        "            self.push(self.REPLY % self.LIMIT)\n"
    )
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        '    """The commands of the smtpd channel Channel, on aiosmtpd\'s SMTP."""\n\n'
        "    LIMIT: int = 3  # per session\n"
        '    REPLY = "250 %d left"\n\n'
        "    async def smtp_XLEFT(self, arg):\n"
        "        await self.push(self.REPLY % self.LIMIT)\n"
    ) in outcome.source


@pytest.mark.parametrize("line", ["data_size_limit = 10", "event_handler = None", "X = f()"])
def test_noop_class_attributes_either_server_has_or_computed(line):
    methods = f"        {line}\n\n        def smtp_XLEFT(self, arg):\n"
    methods += "            self.push('250')\n"
    reports = check_noop(PROGRAM.format(methods=methods))
    assert any("its class body holds more than methods and constants" in r for r in reports)


def test_an_attribute_aiosmtpd_has_too_takes_another_name_in_the_smtp_subclass():
    outcome = run(PROGRAM.format(methods=SESSION_ATTRIBUTE))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "        super().__init__(*args, **kwargs)\n        self.channel_session = []\n"
    ) in outcome.source
    assert (
        "    async def smtp_XCLIENT(self, arg):\n"
        "        self.channel_session.append(arg)\n"
        '        await self.push("250 %s seen %d" % ((self.session.host_name or ""), '
        "len(self.channel_session)))\n"
    ) in outcome.source


EHLO_AND_XFORWARD = """        def smtp_EHLO(self, arg):
            if self.seen_greeting:
                self.push("503 Duplicate HELO/EHLO")
                return
            self._set_rset_state()
            self.seen_greeting = arg
            self.extended_smtp = True
            self.push("250-%s" % self.fqdn)
            self.push("250 XFORWARD NAME ADDR")

        # Postfix sends the client's attributes.
        def smtp_XFORWARD(self, arg):
            self.forwarded = arg.split()
            self.push("250 Ok")
"""


def test_overridden_and_new_verbs_read_the_session_where_aiosmtpd_keeps_it():
    outcome = run(PROGRAM.format(methods=EHLO_AND_XFORWARD))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    async def smtp_EHLO(self, arg):\n"
        "        if self.session.host_name:\n"
        '            await self.push("503 Duplicate HELO/EHLO")\n'
        "            return\n"
        "        self.envelope = self._create_envelope()\n"
        "        self.session.host_name = arg\n"
        "        self.session.extended_smtp = True\n"
        '        await self.push("250-%s" % self.hostname)\n'
        '        await self.push("250 XFORWARD NAME ADDR")\n\n'
        "    # Postfix sends the client's attributes.\n"
        "    async def smtp_XFORWARD(self, arg):\n"
        "        self.forwarded = arg.split()\n"
        '        await self.push("250 Ok")\n'
    ) in outcome.source
    # aiosmtpd's HELP EHLO reads the override's @syntax: the same text as smtpd's.
    assert '    @syntax("EHLO hostname")\n    async def smtp_EHLO(self, arg):\n' in outcome.source
    assert "from aiosmtpd.smtp import SMTP, syntax\n" in outcome.source
    notes = [r.message for r in outcome.reports if r.note]
    assert any(n.startswith("Channel.smtp_XFORWARD: an exception in it now answers") for n in notes)
    assert not any(n.startswith("Channel.smtp_EHLO") for n in notes)  # it cannot raise


def test_a_verb_calling_the_base_of_another_verb_awaits_it():
    methods = (
        "        def smtp_LHLO(self, arg):\n"
        "            smtpd.SMTPChannel.smtp_HELO(self, arg)\n\n"
        "        def smtp_HELO(self, arg):\n"
        "            self.push(NOT_HERE)\n"
    )
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert "    async def smtp_LHLO(self, arg):\n        await super().smtp_HELO(arg)\n" in (
        outcome.source
    )
    assert "    async def smtp_HELO(self, arg):\n        await self.push(NOT_HERE)\n" in (
        outcome.source
    )


def test_noop_a_verb_reading_the_servers_dispatcher():
    methods = (
        "        def smtp_XPORT(self, arg):\n            self.push(str(self.smtp_server.addr))\n"
    )
    reports = check_noop(PROGRAM.format(methods=methods))
    assert any("smtp_XPORT reads self.smtp_server.addr" in r for r in reports), reports


def test_an_override_of_a_verb_smtpd_answered_joins_the_subclass():
    methods = '        def smtp_NOOP(self, arg):\n            self.push("250 Yes")\n'
    source = run(PROGRAM.format(methods=methods)).source
    assert '    async def smtp_NOOP(self, arg):\n        await self.push("250 Yes")\n' in source


def test_noop_controller_name_taken():
    source = PROGRAM.format(methods=XCLIENT) + "\n    ChannelController = None\n"
    reports = check_noop(source)
    assert any("the name ChannelController is taken in this module" in r for r in reports)


@pytest.mark.parametrize(
    "body, raises",
    [
        ('self.push("250 %s" % self.fqdn)', False),
        ('self.push("250 " + arg)', True),  # TypeError without an argument
        ('if "x" in arg:\n                self.push("250 x")', True),
        ('if arg in ("a", "b"):\n                self.push("250 x")', False),
        ('self.push("250 %d" % len(arg))', True),
        ("for line in arg:\n                self.push(line)", True),
    ],
)
def test_a_method_that_can_raise_is_noted(body, raises):
    methods = f"        def smtp_XTEST(self, arg):\n            {body}\n"
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    noted = any(r.message.startswith("Channel.smtp_XTEST: an exception") for r in outcome.reports)
    assert noted is raises


def test_a_verb_calling_another_verb_of_the_channel_awaits_it():
    methods = (
        "        def smtp_LHLO(self, arg):\n"
        "            self.smtp_EHLO(arg)\n\n"
        "        def smtp_XPING(self, arg):\n"
        "            self.smtp_NOOP(arg)\n"
        "            self.smtp_XPONG(arg)\n\n"
        "        def smtp_XPONG(self, arg):\n"
        '            self.push("250 pong")\n'
    )
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert "    async def smtp_LHLO(self, arg):\n        await self.smtp_EHLO(arg)\n" in (
        outcome.source
    )
    assert "        await self.smtp_NOOP(arg)\n        await self.smtp_XPONG(arg)\n" in (
        outcome.source
    )


def test_noop_a_verb_calling_a_verb_smtpd_had_not():
    methods = "        def smtp_LHLO(self, arg):\n            self.smtp_STARTTLS(arg)\n"
    reports = check_noop(PROGRAM.format(methods=methods))
    assert any("it calls the channel's self.smtp_STARTTLS()" in r for r in reports), reports


def test_the_greeting_read_as_a_value_keeps_smtpds_empty_string():
    methods = (
        "        def smtp_XWHO(self, arg):\n"
        "            if not self.seen_greeting or arg:\n"
        '                self.push("250 %s" % self.seen_greeting)\n'
    )
    source = run(PROGRAM.format(methods=methods)).source
    assert (
        "        if not self.session.host_name or arg:\n"
        '            await self.push("250 %s" % (self.session.host_name or ""))\n'
    ) in source


def test_a_quit_override_that_logs_then_calls_the_base():
    methods = (
        "        def smtp_QUIT(self, arg):\n"
        '            print("bye", self.peer[0])\n'
        "            smtpd.SMTPChannel.smtp_QUIT(self, arg)\n"
    )
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        '    @syntax("QUIT")\n'
        "    async def smtp_QUIT(self, arg):\n"
        '        print("bye", self.session.peer[0])\n'
        "        await super().smtp_QUIT(arg)\n"
    ) in outcome.source


HELPERS = """        def reply(self, code, text):
            self.push("%s %s" % (code, text))

        def greet(self, name):
            self.reply(250, self.phrase(name))

        def phrase(self, name):
            return "hello %s" % name

        def smtp_XHELLO(self, arg):
            self.greet(arg)
"""


def test_helpers_that_reply_become_coroutines_and_the_others_stay_plain():
    outcome = run(PROGRAM.format(methods=HELPERS))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    async def reply(self, code, text):\n"
        '        await self.push("%s %s" % (code, text))\n\n'
        "    async def greet(self, name):\n"
        "        await self.reply(250, self.phrase(name))\n\n"
        "    def phrase(self, name):\n"
        '        return "hello %s" % name\n\n'
        "    async def smtp_XHELLO(self, arg):\n"
        "        await self.greet(arg)\n"
    ) in outcome.source
    assert not any(r.note and "XHELLO" in r.message for r in outcome.reports)  # none raises


def test_a_verb_calling_a_helper_that_can_raise_is_noted():
    methods = (
        "        def first_word(self, arg):\n"
        "            return arg.split()[0]\n\n"
        "        def smtp_XWORD(self, arg):\n"
        '            self.push("250 %s" % self.first_word(arg))\n'
    )
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert "    def first_word(self, arg):\n        return arg.split()[0]\n" in outcome.source
    noted = [r.message for r in outcome.reports if r.note]
    assert any(n.startswith("Channel.smtp_XWORD: an exception in it") for n in noted)
    assert not any(n.startswith("Channel.first_word") for n in noted)  # its callers are


@pytest.mark.parametrize(
    "helper, why",
    [
        ("def reply(self, text):\n            self.set_terminator(text)", "reply: it calls the"),
        ("@staticmethod\n        def reply(text):\n            pass", "reply: it is decorated"),
        ("def reply(self, text):\n            log(self)", "reply: it passes the channel object"),
    ],
)
def test_noop_helpers_that_reach_the_channel(helper, why):
    verb = "        def smtp_XTEST(self, arg):\n            self.reply(arg)\n"
    methods = f"        {helper}\n\n{verb}"
    reports = check_noop(PROGRAM.format(methods=methods))
    assert any(why in r for r in reports), reports


def test_noop_a_replying_helper_inside_an_expression():
    methods = (
        "        def reply(self, text):\n"
        "            self.push(text)\n\n"
        "        def smtp_XTEST(self, arg):\n"
        "            done = self.reply(arg)\n"
    )
    reports = check_noop(PROGRAM.format(methods=methods))
    assert any("smtp_XTEST: it replies or calls the base method inside" in r for r in reports)


PUSH = """        def push(self, msg):
            if msg.startswith("220 "):
                msg = "220 mail.example.com ESMTP"
            {base}
"""


@pytest.mark.parametrize("base", ["smtpd.SMTPChannel.push(self, msg)", "super().push(msg)"])
def test_a_push_override_rewrites_aiosmtpds_replies_and_is_noted(base):
    outcome = run(PROGRAM.format(methods=PUSH.format(base=base)))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    async def push(self, msg):\n"
        '        if msg.startswith("220 "):\n'
        '            msg = "220 mail.example.com ESMTP"\n'
        "        await super().push(msg)\n"
    ) in outcome.source
    notes = [r.message for r in outcome.reports if r.note]
    push = [n for n in notes if n.startswith("Channel.push now gets aiosmtpd's replies")]
    assert len(push) == 1 and "Controller.start() opens to itself" in push[0]
    assert "an exception in it ends the session without a reply" in push[0]  # startswith
    assert not any("Channel.push: an exception in it now answers" in n for n in notes)


@pytest.mark.parametrize(
    "push, why",
    [
        (
            "def push(self, msg):\n            asynchat.async_chat.push(self, msg.encode())",
            "push rewrites every reply: it uses asynchat.async_chat.push",
        ),
        (
            "def push(self, msg, end='\\r\\n'):\n            super().push(msg)",
            "push rewrites every reply: its signature is not (self, msg)",
        ),
        (
            "def push(self, msg):\n            self.sent = super().push(msg)",
            "push rewrites every reply: it replies or calls the base method inside",
        ),
    ],
)
def test_noop_push_overrides_reaching_asynchat(push, why):
    source = PROGRAM.format(methods=f"        {push}\n").replace(
        "    import smtpd\n", "    import asynchat\n    import smtpd\n"
    )
    reports = check_noop(source)
    assert any(why in r for r in reports), reports


def named_smtpchannel(methods: str) -> str:
    source = PROGRAM.format(methods=methods).replace("Channel", "SMTPChannel")
    return source.replace("smtpd.SMTPSMTPChannel", "smtpd.SMTPChannel")


def test_a_channel_named_smtpchannel_reads_smtpds_private_aliases_as_their_public_names():
    """In a class named SMTPChannel, self.__greeting is smtpd's alias of seen_greeting."""
    methods = (
        "        def smtp_XHELO(self, arg):\n"
        "            if self.__mailfrom:\n"
        '                self.push("503 in a transaction")\n'
        "                return\n"
        "            self.__greeting = arg\n"
        '            self.push("250 %s %s" % (self.__fqdn, self.__greeting))\n'
    )
    outcome = run(named_smtpchannel(methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    async def smtp_XHELO(self, arg):\n"
        "        if self.envelope.mail_from:\n"
        '            await self.push("503 in a transaction")\n'
        "            return\n"
        "        self.session.host_name = arg\n"
        '        await self.push("250 %s %s" % (self.hostname, (self.session.host_name or "")))\n'
    ) in outcome.source
    # In a class of another name, self.__greeting is the class's own private attribute.
    assert "self.__greeting = arg" in run(PROGRAM.format(methods=methods)).source


def test_smtpds_private_aliases_spelled_out_are_their_public_names_in_any_channel():
    """``self._SMTPChannel__greeting`` is smtpd's alias of seen_greeting in a class of any
    name (it is not mangled again): a copied EHLO that tests and resets it."""
    methods = (
        "        def smtp_EHLO(self, arg):\n"
        "            if isinstance(self._SMTPChannel__greeting, str):\n"
        "                self._SMTPChannel__greeting = 0\n"
        '                self.push("250-first")\n'
        "                self.smtp_HELO(arg)\n"
    )
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert "_SMTPChannel__" not in outcome.source
    assert (
        '        if isinstance((self.session.host_name or ""), str):\n'
        "            self.session.host_name = 0\n"
    ) in outcome.source


def test_noop_smtpds_private_aliases_spelled_out_outside_the_commands():
    methods = (
        "        def __init__(self, *args, **kwargs):\n"
        "            smtpd.SMTPChannel.__init__(self, *args, **kwargs)\n"
        "            log(self._SMTPChannel__peer)\n"
    )
    reports = check_noop(PROGRAM.format(methods=methods))
    why = "it uses self._SMTPChannel__peer, smtpd's deprecated alias of self.peer"
    assert any(why in r for r in reports), reports


def test_noop_smtpds_private_aliases_outside_the_commands():
    methods = (
        "        def __init__(self, *args, **kwargs):\n"
        "            smtpd.SMTPChannel.__init__(self, *args, **kwargs)\n"
        "            log(self.__peer)\n"
    )
    reports = check_noop(named_smtpchannel(methods))
    why = "it uses self.__peer, smtpd's deprecated alias of self.peer"
    assert any(why in r for r in reports), reports


def test_noop_smtpds_private_alias_of_state_aiosmtpd_keeps_elsewhere():
    methods = "        def smtp_XLINE(self, arg):\n            self.push(str(len(self.__line)))\n"
    reports = check_noop(named_smtpchannel(methods))
    assert any("smtp_XLINE: it reads the channel's self.received_lines" in r for r in reports)


OWN_AUTH = """        def smtp_EHLO(self, arg):
            self.seen_greeting = arg
            self.push("250-gateway.example")
            self.push("250 AUTH PLAIN")

        def smtp_AUTH(self, arg):
            if arg == "PLAIN AHVzZXIAc2VjcmV0":
                self.smtp_server.user = "user"
                self.push("235 2.7.0 Authentication successful")
            else:
                self.push("535 5.7.8 Authentication credentials invalid")
"""


def test_an_auth_channel_of_its_own_shape_becomes_an_smtp_subclass():
    """Not the exchange rule auth converts: its AUTH and EHLO run as they were."""
    outcome = run(PROGRAM.format(methods=OWN_AUTH))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    async def smtp_AUTH(self, arg):\n"
        '        if arg == "PLAIN AHVzZXIAc2VjcmV0":\n'
        '            self.event_handler.user = "user"\n'
        '            await self.push("235 2.7.0 Authentication successful")\n'
    ) in outcome.source
    assert "        self.session.host_name = arg\n" in outcome.source
    assert "authenticator" not in outcome.source and "class ChannelController(" in outcome.source


def test_noop_an_auth_channel_neither_rule_converts_reports_the_auth_reasons():
    methods = OWN_AUTH + "\n        def found_terminator(self):\n            pass\n"
    reports = check_noop(PROGRAM.format(methods=methods))
    assert any("SMTPChannel subclass Channel left as is" in r for r in reports), reports
    assert any("found_terminator" in r and "section 'Rule auth" in r for r in reports), reports


@pytest.mark.parametrize("closing", ["self.close_when_done()", "self.close()"])
def test_a_verb_closing_the_channel_closes_the_transport(closing):
    methods = (
        "        def smtp_QUIT(self, arg):\n"
        '            self.push("221 goodbye")\n'
        f"            {closing}\n"
    )
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        '        await self.push("221 goodbye")\n        self.transport.close()\n'
    ) in outcome.source


def test_noop_a_verb_closing_inside_an_expression():
    methods = "        def smtp_QUIT(self, arg):\n            done = self.close_when_done()\n"
    reports = check_noop(PROGRAM.format(methods=methods))
    assert any("inside an expression" in r for r in reports), reports


def test_the_accepted_address_is_the_sessions_peer():
    methods = '        def smtp_XWHO(self, arg):\n            self.push("250 %s" % (self.addr,))\n'
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert '        await self.push("250 %s" % (self.session.peer,))\n' in outcome.source


def test_a_verb_closing_in_a_branch_then_returning_converts():
    methods = (
        "        def smtp_XSTOP(self, arg):\n"
        "            if not arg:\n"
        '                self.push("421 closing")\n'
        "                self.close_when_done()\n"
        "                return\n"
        '            self.push("250 going on")\n'
    )
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert "            self.transport.close()\n            return\n" in outcome.source


def test_noop_a_verb_pushing_after_closing():
    methods = (
        "        def smtp_XSTOP(self, arg):\n"
        "            if not arg:\n"
        '                self.push("421 closing")\n'
        "                self.close_when_done()\n"
        '            self.push("250 going on")\n'
    )
    reports = check_noop(PROGRAM.format(methods=methods))
    assert any("it closes the channel, then goes on" in r for r in reports), reports


KEYWORD_INIT = """        def __init__(self, server, conn, addr, data_size_limit=33554432,
                     map=None, enable_SMTPUTF8=False, decode_data=False):
            super().__init__(server, conn, addr, {keywords})
            self.seen = 0

        def smtp_XSEEN(self, arg):
            self.seen += 1
            self.push("250 seen")
"""


def test_an_init_passing_smtpds_settings_by_keyword_in_their_order_goes():
    keywords = (
        "data_size_limit=data_size_limit, map=map, "
        "enable_SMTPUTF8=enable_SMTPUTF8, decode_data=decode_data"
    )
    outcome = run(PROGRAM.format(methods=KEYWORD_INIT.format(keywords=keywords)))
    assert [r for r in outcome.reports if not r.note] == []
    assert "        super().__init__(*args, **kwargs)\n        self.seen = 0\n" in outcome.source


def test_noop_an_init_passing_only_some_of_smtpds_settings_by_keyword():
    """data_size_limit and the others kept smtpd's defaults, not the server's settings."""
    source = PROGRAM.format(methods=KEYWORD_INIT.format(keywords="map=map"))
    reports = check_noop(source)
    assert any("it does not pass its own arguments to the base __init__" in r for r in reports)


def test_a_verb_that_only_prints_and_reads_the_peer_cannot_raise():
    methods = (
        "        def smtp_HELO(self, arg):\n"
        "            super().smtp_HELO(arg)\n"
        '            print("HELO from", self.peer[0], str(self.addr[1]), flush=True)\n'
    )
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert not any(r.message.startswith("Channel.smtp_HELO") for r in outcome.reports)
    assert '        print("HELO from", self.session.peer[0], str(self.session.peer[1]), ' in (
        outcome.source
    )


def test_a_verb_indexing_its_argument_can_raise():
    methods = "        def smtp_XTAG(self, arg):\n            print(arg[0])\n"
    outcome = run(PROGRAM.format(methods=methods))
    assert any(r.message.startswith("Channel.smtp_XTAG: an exception") for r in outcome.reports)


def test_an_init_parameter_named_server_is_not_the_modules_server():
    """PROGRAM's module makes ``server = Sink(...)``: the channel's server is smtpd's argument."""
    methods = (
        "        def __init__(self, server, conn, addr, *args):\n"
        "            super().__init__(server, conn, addr, *args)\n"
        "            self.strict = server.strict\n\n"
        "        def smtp_XSTRICT(self, arg):\n"
        '            self.push("250 %s" % self.strict)\n'
    )
    kept = "        channel_class = Channel\n"
    source = PROGRAM.format(methods=methods).replace(kept, kept + "        strict = True\n")
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert "        self.strict = self.event_handler.strict\n" in outcome.source


def test_collect_incoming_data_passing_the_bytes_on_becomes_data_received():
    methods = (
        "        def collect_incoming_data(self, data):\n"
        "            try:\n"
        "                super().collect_incoming_data(data.replace(b'\\0', b''))\n"
        "            except UnicodeDecodeError:\n"
        "                pass\n"
    )
    outcome = run(PROGRAM.format(methods=methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    def data_received(self, data):\n"
        "        try:\n"
        "            super().data_received(data.replace(b'\\0', b''))\n"
        "        except UnicodeDecodeError:\n"
        "            pass\n"
    ) in outcome.source
    notes = [r.message for r in outcome.reports if r.note]
    assert any(
        n.startswith("Channel.collect_incoming_data is now the SMTP subclass's data_received")
        for n in notes
    )
    assert not any("now answers '500 Error" in n for n in notes)


@pytest.mark.parametrize(
    "body, why",
    [
        (
            "self.push('552 too much')\n"
            "            smtpd.SMTPChannel.collect_incoming_data(self, data)",
            "it replies or closes (data_received runs no coroutine)",
        ),
        ("print(len(data))", "it does not pass the data on to the base collect_incoming_data"),
        (
            "if len(self.received_lines) < 9:\n"
            "                smtpd.SMTPChannel.collect_incoming_data(self, data)",
            "it reads the channel's self.received_lines",
        ),
        (
            "super().collect_incoming_data(data[:1])\n"
            "            super().collect_incoming_data(data[1:])",
            "it does not pass the data on to the base collect_incoming_data once",
        ),
    ],
)
def test_noop_collect_incoming_data_that_is_no_filter(body, why):
    methods = f"        def collect_incoming_data(self, data):\n            {body}\n"
    reports = check_noop(PROGRAM.format(methods=methods))
    expected = f"collect_incoming_data reads the line protocol's bytes: {why}"
    assert any(expected in r for r in reports), reports


def test_a_verb_pushing_bytes_is_reported_where_smtpd_raised():
    """smtpd's push added a str line end: bytes raised TypeError and the client was dropped;
    aiosmtpd's push would send them, so converting would change that silently."""
    outcome = run("""
        import asyncore
        import smtpd


        class Leaky(smtpd.SMTPChannel):
            def smtp_VRFY(self, arg):
                if arg:
                    self.push(b"252 maybe")
                else:
                    self.push("501 Syntax: VRFY <address>")


        class Server(smtpd.SMTPServer):
            channel_class = Leaky

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Server(("localhost", 1025), None)
        asyncore.loop()
    """)
    blockers = [r.format("t.py") for r in outcome.reports if not r.note]
    assert [b for b in blockers if "pushes bytes" in b] == [
        "t.py:8: Leaky.smtp_VRFY pushes bytes: smtpd raised TypeError there (printed the "
        "error and dropped the connection), aiosmtpd sends them: push a str if the reply is "
        "meant, or keep the failure by hand "
        "(see migration_guide.md, section 'Rule verbs: new verbs become an SMTP subclass')"
    ]

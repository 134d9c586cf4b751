"""Rule auth: AUTH PLAIN channels become an authenticator= for the Controller."""

from __future__ import annotations

import textwrap

import pytest
from before_after import check_noop, run, unwrapped  # noqa: E402

EHLO = """
def smtp_EHLO(self, arg):
    if not arg:
        self.push("501 Syntax: EHLO hostname")
        return
    if self.seen_greeting:
        self.push("503 Duplicate HELO/EHLO")
        return
    self._set_rset_state()
    self.seen_greeting = arg
    self.extended_smtp = True
    self.push("250-%s" % self.fqdn)
    if self.data_size_limit:
        self.push("250-SIZE %s" % self.data_size_limit)
        self.command_size_limits["MAIL"] += 26
    if not self._decode_data:
        self.push("250-8BITMIME")
    if self.enable_SMTPUTF8:
        self.push("250-SMTPUTF8")
        self.command_size_limits["MAIL"] += 10
    self.push("250-AUTH PLAIN")
    self.push("250 HELP")
"""
AUTH = """
def smtp_AUTH(self, arg):
    mechanism, _, response = (arg or "").partition(" ")
    if mechanism.upper() != "PLAIN":
        self.push("504 Unrecognized authentication type")
    elif response:
        self.check_plain(response)
    else:
        self.smtp_state = self.AUTH
        self.push("334 ")
"""
TERMINATOR = """
def found_terminator(self):
    if self.smtp_state == self.AUTH:
        line = self._emptystring.join(self.received_lines)
        self.received_lines = []
        self.smtp_state = self.COMMAND
        self.check_plain(line)
        return
    super().found_terminator()
"""
CHECK = """
def check_plain(self, response):
    _, user, password = base64.b64decode(response).decode().split("\\0")
    if USERS.get(user) == password:
        self.push("235 Authentication successful")
    else:
        self.push("535 Authentication failed")
"""
HEAD = """
import asyncore
import base64
import smtpd

USERS = {"user": "secret"}


class Channel(smtpd.SMTPChannel):
    AUTH = 99
"""
TAIL = """

class Server(smtpd.SMTPServer):
    channel_class = Channel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        pass


server = Server(("127.0.0.1", 2525), None)
asyncore.loop()
"""


PLAIN_AUTHENTICATOR = """\
def channel_authenticator(server, session, envelope, mechanism, auth_data):
    # The credential check of Channel.check_plain; aiosmtpd runs the
    # AUTH PLAIN exchange. smtpd dropped the connection on undecodable credentials.
    try:
        user = auth_data.login.decode()
        password = auth_data.password.decode()
    except UnicodeDecodeError:
        return AuthResult(success=False, handled=False)
    return AuthResult(success=USERS.get(user) == password, handled=False)"""


def program(*methods: str, head: str = HEAD) -> str:
    body = "\n".join(textwrap.indent(m, "    ") for m in methods)
    return head + body + TAIL


def converted(*methods: str) -> str:
    outcome = run(program(*methods))
    assert [r for r in outcome.reports if not r.note] == []
    assert "class Channel" not in outcome.source and "channel_class" not in outcome.source
    assert run(outcome.source).source == outcome.source  # idempotent
    return outcome.source


def authenticator(source: str) -> str:
    start = source.index("def channel_authenticator")
    return source[start : source.index("\n\n\nclass Server")]


def controller(source: str) -> str:
    return next(
        line for line in unwrapped(source).splitlines() if line.startswith("server_controller =")
    )


def reasons(*methods: str, head: str = HEAD) -> str:
    """The reason the channel stays: the first report, without its section."""
    reports = check_noop(program(*methods, head=head))
    assert "section 'Rule auth: AUTH channels become an authenticator'" in reports[0]
    return reports[0].split("): ", 1)[1].split(" (see ")[0]


def test_plain_channel_becomes_an_authenticator():
    source = converted(EHLO, AUTH, TERMINATOR, CHECK)
    assert authenticator(source) == PLAIN_AUTHENTICATOR
    assert controller(source) == (
        'server_controller = LongLinesController(server, hostname="127.0.0.1", port=2525, '
        "enable_SMTPUTF8=False, authenticator=channel_authenticator, auth_require_tls=False, "
        'auth_exclude_mechanism=["LOGIN"])'
    )
    assert "from aiosmtpd.smtp import SMTP, AuthResult\n" in source
    assert "class Server:\n    async def handle_DATA" in source


def test_initial_response_only_and_reversed_test():
    check = CHECK.replace("if USERS.get(user) == password:", "if user not in USERS:")
    check = check.replace('"235 Authentication successful"', '"535 No"', 1)
    check = check.replace('"535 Authentication failed"', '"235 Yes"')
    source = converted(EHLO, AUTH.replace("self.smtp_state = self.AUTH", "pass"), check)
    assert "return AuthResult(success=not (user not in USERS), handled=False)" in source


def test_truthy_test_and_decode_arguments_carry_over():
    check = CHECK.replace(".decode()", '.decode("ascii")').replace(
        "USERS.get(user) == password", 'user == "admin" and password'
    )
    source = converted(EHLO, AUTH, TERMINATOR, check)
    assert 'user = auth_data.login.decode("ascii")' in source
    assert 'return AuthResult(success=bool(user == "admin" and password), handled=False)' in source


def test_refusing_mail_before_auth_becomes_auth_required():
    check = CHECK.replace(
        '        self.push("235', '        self.authenticated = True\n        self.push("235'
    )
    mail = """
def smtp_MAIL(self, arg):
    if not self.authenticated:
        self.push("530 Authentication required")
        return
    super().smtp_MAIL(arg)
"""
    head = HEAD + "    authenticated = False\n"
    outcome = run(program(EHLO, AUTH, TERMINATOR, check, mail, head=head))
    assert [r for r in outcome.reports if not r.note] == []
    assert controller(outcome.source).endswith(
        'auth_exclude_mechanism=["LOGIN"], auth_required=True)'
    )


def test_noop_without_advertising_auth():
    assert reasons(AUTH, TERMINATOR, CHECK) == (
        "smtp_EHLO does not advertise AUTH, and aiosmtpd would: add it or convert by hand"
    )


def test_noop_ehlo_other_than_smtpds():
    ehlo = EHLO.replace('        self.push("250-8BITMIME")\n', "        pass\n")
    assert reasons(ehlo, AUTH, TERMINATOR, CHECK).startswith("smtp_EHLO is not smtpd's own")


def test_noop_other_mechanism():
    auth = AUTH.replace('!= "PLAIN"', 'not in ("PLAIN", "CRAM-MD5")')
    assert reasons(EHLO, auth, TERMINATOR, CHECK).startswith(
        "smtp_AUTH: it implements CRAM-MD5, which aiosmtpd does not have built in"
    )


def test_noop_login():
    auth = AUTH.replace('!= "PLAIN"', 'not in ("PLAIN", "LOGIN")')
    assert reasons(EHLO, auth, TERMINATOR, CHECK) == (
        "smtp_AUTH: it implements LOGIN, and the codemod converts only PLAIN exchanges"
    )


def test_noop_never_compares_with_plain():
    auth = AUTH.replace('mechanism.upper() != "PLAIN"', "not mechanism")
    assert reasons(EHLO, auth, TERMINATOR, CHECK) == (
        "smtp_AUTH: it never compares the mechanism with 'PLAIN'"
    )


def test_noop_check_calls_other_code():
    check = CHECK.replace("USERS.get(user) == password", "verify(user, password)")
    assert reasons(EHLO, AUTH, TERMINATOR, check).startswith(
        "check_plain: its test calls verify, other code the codemod cannot prove"
    )


def test_noop_check_reads_authorization_identity():
    check = CHECK.replace("_, user,", "authz, user,").replace("== password", "== authz")
    assert reasons(EHLO, AUTH, TERMINATOR, check).startswith("check_plain: its test reads 'authz'")


def test_noop_check_reads_channel_state():
    check = CHECK.replace("USERS.get(user)", "self.smtp_server.users.get(user)")
    assert "its test reads the channel's self.smtp_server" in reasons(EHLO, AUTH, TERMINATOR, check)


def test_noop_check_of_another_shape():
    check = CHECK.replace('.split("\\0")', '.split(":")')
    assert reasons(EHLO, AUTH, TERMINATOR, check).startswith(
        "check_plain: it does not decode base64.b64decode(response)"
    )


def test_noop_dialogue_pushing_success():
    auth = AUTH.replace('self.push("334 ")', 'self.push("235 Welcome")')
    assert reasons(EHLO, auth, TERMINATOR, CHECK) == (
        "smtp_AUTH: it pushes something other than a 3xx, 4xx or 5xx literal"
    )


def test_noop_dialogue_calling_other_code():
    auth = AUTH.replace("self.check_plain(response)", "log(response)")
    assert reasons(EHLO, auth, TERMINATOR, CHECK) == "smtp_AUTH: it calls log"


def test_noop_found_terminator_doing_more():
    terminator = TERMINATOR.replace("    super().found_terminator()", "    self.count += 1")
    assert reasons(EHLO, AUTH, terminator, CHECK) == (
        "found_terminator: it does not end with the base found_terminator()"
    )


def test_noop_state_without_found_terminator():
    assert reasons(EHLO, AUTH, CHECK) == (
        "smtp_AUTH: it sets a state that no found_terminator handles"
    )


def test_noop_extra_verb():
    vrfy = 'def smtp_VRFY(self, arg):\n    self.push("252 Maybe")\n'
    assert reasons(EHLO, AUTH, TERMINATOR, CHECK, vrfy) == (
        "smtp_VRFY is not part of an AUTH exchange the codemod converts"
    )


@pytest.mark.parametrize("verb", ["DATA", "RCPT"])
@pytest.mark.parametrize("test", ["not self.authenticated", 'not getattr(self, "auth", False)'])
def test_noop_a_later_verb_refused_before_auth_says_where_the_530_would_move(verb, test):
    gate = (
        f"def smtp_{verb}(self, arg):\n    if {test}:\n"
        '        self.push("530 Authentication required")\n        return\n'
        f"    smtpd.SMTPChannel.smtp_{verb}(self, arg)\n"
    )
    assert reasons(EHLO, AUTH, TERMINATOR, CHECK, gate).startswith(
        f"smtp_{verb} refuses {verb} with 530 until AUTH while MAIL goes on: aiosmtpd's "
        "auth_required=True would refuse MAIL already"
    )


def test_noop_mail_doing_more_than_refusing():
    mail = "def smtp_MAIL(self, arg):\n    super().smtp_MAIL(arg)\n"
    assert reasons(EHLO, AUTH, TERMINATOR, CHECK, mail).startswith(
        "smtp_MAIL does more than refuse MAIL before AUTH"
    )


def test_noop_two_checks():
    other = CHECK.replace("check_plain", "check_again")
    assert reasons(EHLO, AUTH, TERMINATOR, CHECK, other) == (
        "it has no single credential check pushing 235 or 535"
    )


def test_noop_class_body_holding_more():
    head = HEAD + "    users = {}\n"
    assert reasons(EHLO, AUTH, TERMINATOR, CHECK, head=head) == (
        "its class body holds more than methods, state numbers and False flags"
    )


def test_noop_authenticator_name_taken():
    head = HEAD.replace("USERS =", "channel_authenticator = None\nUSERS =")
    reports = check_noop(program(EHLO, AUTH, TERMINATOR, CHECK, head=head))
    assert any("the name channel_authenticator is taken in this module" in r for r in reports)


def test_noop_rule_skipped():
    reports = check_noop(program(EHLO, AUTH, TERMINATOR, CHECK), "handler", "startup", "policy")
    assert reports


def test_noop_check_given_a_transformed_response():
    auth = AUTH.replace("self.check_plain(response)", "self.check_plain(response.lower())")
    assert reasons(EHLO, auth, TERMINATOR, CHECK).startswith(
        "smtp_AUTH: it passes the check something other than the response as received"
    )


def test_noop_found_terminator_passing_another_line():
    terminator = TERMINATOR.replace("self.check_plain(line)", "self.check_plain(self.last)")
    assert (
        reasons(EHLO, AUTH, terminator, CHECK)
        == "found_terminator: it reads the channel's self.last"
    )


def test_noop_decoding_in_which_nul_is_not_a_byte():
    check = CHECK.replace(".decode()", '.decode("utf-16")')
    assert reasons(EHLO, AUTH, TERMINATOR, check).startswith(
        "check_plain: it does not decode base64.b64decode(response)"
    )


def test_noop_state_number_of_smtpd():
    head = HEAD.replace("AUTH = 99", "AUTH = 1")
    assert reasons(EHLO, AUTH, TERMINATOR, CHECK, head=head) == (
        "its state AUTH is one of smtpd's own states"
    )

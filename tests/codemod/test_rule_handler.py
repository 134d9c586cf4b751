"""Rule handler: process_message servers become handle_DATA handlers."""

from __future__ import annotations

import textwrap

import pytest
from before_after import check_noop, check_transformed, run, unwrapped  # noqa: E402

from smtpd_compat.codemod._plan import SHARED_EXECUTOR
from smtpd_compat.codemod.rules.handler import EXECUTOR_CLASS_CODE, EXECUTOR_CODE
from smtpd_compat.codemod.rules.startup import LONG_LINES_CONTROLLER, QUIET_MAIL_LOG

HANDLE_DATA = """\
    async def handle_DATA(self, server, session, envelope):
        try:
            # smtpd passed the body with LF line ends and without the final line end.
            data = envelope.original_content[:-2].replace(b"\\r\\n", b"\\n"){decode}
            call = functools.partial(
                self.process_message,
                session.peer,
                envelope.mail_from,
                list(envelope.rcpt_tos),
                data,{options}
            )
            loop = asyncio.get_running_loop()
            reply = await loop.run_in_executor(PROCESS_MESSAGE_EXECUTOR, call)
        except Exception:
            # smtpd dropped the connection: a temporary failure, so the sender retries.
            traceback.print_exc()
            return "451 Requested action aborted: error in processing"
        return reply or "250 OK"

"""
BOTH = (
    "\n                mail_options=list(envelope.mail_options),"
    "\n                rcpt_options=list(envelope.rcpt_options),"
)
HEADER_TEMPLATE = """\
import asyncio
import concurrent.futures
import functools
import logging
import queue
import threading
import traceback

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


{long_lines}

{quiet}

{executor}
"""
# The helpers the rules insert (their text is theirs; where they go is what is checked).
HEADER = HEADER_TEMPLATE.format(
    long_lines=LONG_LINES_CONTROLLER,
    quiet=QUIET_MAIL_LOG,
    executor=EXECUTOR_CLASS_CODE + "\n\n" + EXECUTOR_CODE.format(executor=SHARED_EXECUTOR),
)
START = """
server = Sink()
server_controller = LongLinesController(
    server, hostname="localhost", port=1025, {options}{extra}
)
server_controller.start()
# serves until interrupted, running process_message here as smtpd's loop did
PROCESS_MESSAGE_EXECUTOR.serve()
"""


def expected(body: str, decode: str = "", options: str = BOTH, extra: str = "") -> str:
    handler = HANDLE_DATA.format(decode=decode, options=options)
    start = START.format(options="enable_SMTPUTF8=False", extra=extra)
    return HEADER + "\n" + body.replace("HANDLE_DATA\n", handler) + start


@pytest.mark.parametrize(
    ("signature", "options"),
    [
        ("self, peer, mailfrom, rcpttos, data, **kwargs", BOTH),
        ("self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None", BOTH),
        ("self, peer, mailfrom, rcpttos, data, mail_options=None", BOTH.split(",")[0] + ","),
        ("*args, **kwargs", BOTH),
        ("self, peer, mailfrom, rcpttos, data", ""),  # smtpd raised TypeError here
    ],
)
def test_signatures(signature, options):
    before = f"""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message({signature}):
                pass


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """
    body = f"""class Sink:
HANDLE_DATA
    def process_message({signature}):
        pass

"""
    assert check_transformed(before, expected(body, options=options)) == []


def test_decode_data_true_decodes_utf8_and_passes_no_options():
    before = """
        import asyncore
        from smtpd import SMTPServer as Base


        class Sink(Base):
            @staticmethod
            def process_message(peer, mailfrom, rcpttos, data):
                return "250 Queued"


        server = Sink(("localhost", 1025), None, decode_data=True)
        asyncore.loop()
    """
    body = """class Sink:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # smtpd with decode_data=True did not offer 8BITMIME.
        session.host_name = hostname
        return [line for line in responses if line != "250-8BITMIME"]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # smtpd with decode_data=True knew no BODY= parameter.
        if any(option.startswith("BODY=") for option in mail_options):
            return "555 MAIL FROM parameters not recognized or not implemented"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

HANDLE_DATA
    @staticmethod
    def process_message(peer, mailfrom, rcpttos, data):
        return "250 Queued"

"""
    # The Controller stays in bytes mode: aiosmtpd's decode_data=True is strict ASCII.
    after = expected(body, '\n            data = data.decode("utf-8")', "")
    assert check_transformed(before, after) == []


def test_decode_data_with_a_mail_hook_of_its_own_keeps_strict_ascii_and_says_so():
    before = """
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            async def handle_MAIL(self, server, session, envelope, address, mail_options):
                return "250 OK"

            def process_message(self, peer, mailfrom, rcpttos, data):
                pass


        server = Sink(("localhost", 1025), None, decode_data=True)
        asyncore.loop()
    """
    outcome = run(before)
    assert "enable_SMTPUTF8=False, decode_data=True)" in unwrapped(outcome.source)
    notes = [r.format("t.py") for r in outcome.reports if r.note]
    assert len(notes) == 1 and notes[0].startswith("t.py:13: note: decode_data=True: aiosmtpd")
    assert "non-ASCII bodies with 500" in notes[0]


def test_every_converted_server_gets_a_note_on_what_changes():
    before = """
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """
    [note] = [r.format("t.py") for r in run(before).reports]
    assert note.startswith("t.py:10: note: converted code answers an exception")
    for change in ("451", "idle for 300 s", "data_size_limit", "HELP", "503", "555", "greeting"):
        assert change in note
    assert "TypeError" not in note
    assert note.endswith("section 'What changes when you leave the shim')")


@pytest.mark.parametrize(
    ("signature", "decode_data", "noted"),
    [
        ("peer, mailfrom, rcpttos, data", "", True),
        ("peer, mailfrom, rcpttos, data, mail_options=None", "", True),
        ("*args", "", True),
        ("peer, mailfrom, rcpttos, data, mail_options=(), rcpt_options=()", "", False),
        ("*args, **kwargs", "", False),
        ("peer, mailfrom, rcpttos, data", ", decode_data=True", False),
    ],
)
def test_four_argument_process_message_smtpd_never_ran_is_noted(
    signature: str, decode_data: str, noted: bool
) -> None:
    """smtpd passed mail_options= and rcpt_options=: a method without them raised TypeError."""
    before = f"""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, {signature}):
                pass


        server = Sink(("localhost", 1025), None{decode_data})
        asyncore.loop()
    """
    notes = [r.format("t.py") for r in run(before).reports]
    expected = "t.py:6: note: process_message does not take mail_options and rcpt_options"
    refused = [n for n in notes if n.startswith(expected)]
    assert len(refused) == int(noted)  # one line, at the def: what changes, what to do
    assert not any("TypeError" in n for n in notes if n not in refused)
    if noted:
        assert "raised TypeError on every message" in refused[0]
        assert "answers what it returns (250 for None): check that" in refused[0]


def test_smtpd_compat_import_is_recognised():
    before = """
        import asyncore
        import smtpd_compat as smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """
    body = """class Sink:
HANDLE_DATA
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        pass

"""
    assert check_transformed(before, expected(body)) == []


def test_attributes_the_body_reads_get_an_init():
    before = """
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                print(self._remoteaddr)


        server = Sink(("localhost", 1025), ("relay", 25))
        asyncore.loop()
    """
    outcome = run(before)
    assert "def __init__(self, localaddr, remoteaddr, data_size_limit=33554432" in outcome.source
    assert "        self._remoteaddr = remoteaddr\n" in outcome.source
    assert 'server = Sink(("localhost", 1025), ("relay", 25))\n' in outcome.source


# -- guards: the file stays as it is and the reason is reported ----------------


def test_noop_without_smtpd():
    assert check_noop("class Sink:\n    def process_message(self, *a):\n        pass\n") == []


def test_noop_async_process_message():
    reports = check_noop("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            async def process_message(self, peer, mailfrom, rcpttos, data):
                pass


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """)
    expected = "t.py:6: class Sink has an async process_message: smtpd called a plain one"
    assert any(r.startswith(expected) for r in reports)


def test_noop_dispatcher_attributes():
    reports = check_noop("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data):
                self.close()


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """)
    expected = (
        "t.py:7: class Sink uses the dispatcher's close: process_message (or a method it "
        "calls) closes the server: smtpd then stopped listening, answered this message"
    )
    assert any(r.startswith(expected) for r in reports), reports


def test_noop_extra_base_class():
    reports = check_noop("""
        import smtpd
        import threading


        class Sink(smtpd.SMTPServer, threading.Thread):
            def process_message(self, peer, mailfrom, rcpttos, data):
                pass
    """)
    assert any(
        "is also a threading.Thread and cannot become a Controller: it has no __init__()" in r
        for r in reports
    )


def test_noop_when_rule_is_skipped():
    source = """
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data):
                pass


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """
    assert check_noop(source, "startup", "init", "imports") != []


OWN_CLOSE = """
    import asyncore
    import smtpd


    class Keeper(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.count = getattr(self, "count", 0) + 1

        def close(self):
            print("kept", getattr(self, "count", 0))
            {base_close}


    keeper = Keeper(("localhost", 2525), None)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        keeper.close()
"""


@pytest.mark.parametrize(
    "base_close",
    [
        "smtpd.SMTPServer.close(self)",
        "super().close()",
        "super(Keeper, self).close()",
        "asyncore.dispatcher.close(self)  # the socket goes",
    ],
)
def test_own_close_stays_and_stops_the_controller(base_close):
    outcome = run(OWN_CLOSE.format(base_close=base_close))
    assert [r for r in outcome.reports if not r.note] == []
    comment = "# the socket goes" if "#" in base_close else "# smtpd closed the server here"
    assert (
        '    def close(self):\n        print("kept", getattr(self, "count", 0))\n'
        f"        self.controller.stop()  {comment}\n"
    ) in outcome.source
    assert outcome.source.endswith(
        'keeper_controller = BoundController(keeper, ("localhost", 2525), enable_SMTPUTF8=False)\n'
        "keeper.controller = keeper_controller  # its close() stops it\n"
        "try:\n"
        "    keeper_controller.start()\n"
        "    # serves until interrupted, running process_message here as smtpd's loop did\n"
        "    PROCESS_MESSAGE_EXECUTOR.serve()\n"
        "except KeyboardInterrupt:\n"
        "    keeper.close()\n"
    )


def test_own_close_runs_where_close_all_closed_it():
    source = OWN_CLOSE.format(base_close="super().close()").replace(
        "keeper.close()", "asyncore.close_all()"
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert outcome.source.endswith("except KeyboardInterrupt:\n    keeper.close()\n")


@pytest.mark.parametrize(
    "base_close",
    [
        "pass",  # smtpd's server stayed open
        "if self.count:\n                super().close()",  # only sometimes
        "super().close()\n            super().close()",
        "super().close()\n            asyncore.close_all()",  # more of asyncore
        "smtpd.SMTPServer.close(other)",
    ],
)
def test_noop_own_close_of_another_shape(base_close):
    reports = check_noop(OWN_CLOSE.format(base_close=base_close))
    assert any(
        r.startswith("t.py:9: class Keeper overrides the dispatcher's close") for r in reports
    )


def test_noop_own_close_where_the_class_has_a_controller_attribute():
    source = OWN_CLOSE.format(base_close="super().close()").replace(
        "self.count = getattr", "self.controller = None\n        self.count = getattr"
    )
    reports = check_noop(source)
    assert any("overrides the dispatcher's close" in r for r in reports)


def test_smtpserver_itself_answers_451_to_every_message():
    outcome = run("""
        import asyncore
        import smtpd

        server = smtpd.SMTPServer(("127.0.0.1", 0), None)
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "class LegacySMTPServerHandler:" in outcome.source
    assert 'raise NotImplementedError("smtpd.SMTPServer has no process_message' in outcome.source
    assert "server = LegacySMTPServerHandler()\n" in outcome.source
    assert "LegacyDebuggingHandler" not in outcome.source
    (note,) = [r.format("t.py") for r in outcome.reports if r.note]
    assert note.startswith(
        "t.py:4: note: smtpd.SMTPServer itself: its process_message raised "
        "NotImplementedError on every message and smtpd dropped the connection; converted "
        "code answers every message with 451"
    )


MAILBOX = """
    import asyncore
    import smtpd
    import threading


    class Keeper(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.kept.append(data)


    class Mailbox:
        def __enter__(self):
            self.server = Keeper(("127.0.0.1", 0), None)
            self.server.kept = []
            self.thread = threading.Thread(target=asyncore.loop)
            self.thread.start()
            return self

        def __exit__(self, *exc):
            self.server.close()
            self.thread.join(10)


    with Mailbox() as box:
        {use}
"""


def test_owner_leaving_its_method_converts_when_elsewhere_reads_socket_and_own_attributes():
    use = "print(box.server.socket.getsockname()[1], len(box.server.kept))"
    outcome = run(MAILBOX.format(use=use))
    assert [r for r in outcome.reports if not r.note] == []
    assert "        self.server.socket = self.server_controller.socket" in outcome.source
    assert "        self.server_controller.stop()\n" in outcome.source
    assert outcome.source.endswith(f"with Mailbox() as box:\n    {use}\n")


@pytest.mark.parametrize(
    "use, line, reason",
    [
        ("print(box.server._map)", 25, "box.server._map reaches the server's _map outside"),
        ("keep(box.server)", 25, "box.server hands the server on here"),
    ],
)
def test_noop_owner_leaving_its_method_when_elsewhere_needs_the_dispatcher(use, line, reason):
    reports = check_noop(MAILBOX.format(use=use))
    assert any(r.startswith(f"t.py:{line}: {reason}") for r in reports), reports


def test_owner_closing_its_server_elsewhere_gives_the_handler_a_close():
    """heldout11/coils_named_server_manager: ``service.server.close()`` at ^C, outside the
    class that keeps the server; the handler gets a close() stopping its controller."""
    outcome = run(MAILBOX.format(use="box.server.close()"))
    assert [r for r in outcome.reports if not r.note] == []
    assert "    def close(self):\n" in outcome.source
    assert "        self.controller.stop()\n" in outcome.source
    carried = "        self.server.controller = self.server_controller  # its close() stops it\n"
    assert carried in outcome.source
    assert outcome.source.endswith("with Mailbox() as box:\n    box.server.close()\n")


def test_noop_server_itself_returned_from_its_method():
    source = MAILBOX.format(use="pass").replace("return self\n", "return self.server\n")
    reports = check_noop(source)
    assert any(r.startswith("t.py:17: self.server leaves __enter__() here") for r in reports)


def test_own_close_called_through_the_owner_stays():
    source = MAILBOX.format(use="box.server.close()").replace(
        "            self.kept.append(data)\n",
        "            self.kept.append(data)\n\n"
        "        def close(self):\n"
        "            super().close()\n",
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert outcome.source.endswith("with Mailbox() as box:\n    box.server.close()\n")
    assert "        self.server.close()\n" in outcome.source  # __exit__: its own close()


SUBCLASSED = """
    import asyncore
    import smtpd


    class Sink({base}):
        {body}


    class LoudSink(Sink):
        pass


    Sink(("localhost", 2525), None)
    asyncore.loop()
"""


@pytest.mark.parametrize(
    "base, body",
    [
        ("smtpd.SMTPServer", "def process_message(self, *args, **kwargs):\n            pass"),
        ("smtpd.DebuggingServer", "pass"),
    ],
)
def test_noop_subclass_of_a_server_class(base, body):
    line = 9 + body.count("\n")
    reports = check_noop(SUBCLASSED.format(base=base, body=body))
    assert any(
        r.startswith(f"t.py:{line}: class LoudSink subclasses Sink, which becomes a handler")
        for r in reports
    ), reports


CHOICE_CLASSES = """
    import asyncore
    import smtpd


    class Accepting(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            print(self._remoteaddr)


    class Failing(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            return "451 try later"

"""


@pytest.mark.parametrize(
    "choice, call",
    [
        ('SERVERS = {"accept": Accepting, "fail": Failing}\n', 'SERVERS["fail"]'),
        ("SERVERS = (Accepting, Failing)\n", "SERVERS[1]"),
        ("Server = Accepting if MODE else Failing\n", "Server"),
        ("", "(Accepting if MODE else Failing)"),
    ],
)
def test_class_chosen_at_run_time_converts_every_candidate(choice, call):
    outcome = run(
        CHOICE_CLASSES
        + f"""
    MODE = 1
    {choice}
    server = {call}(("127.0.0.1", 0), ("relay.invalid", 25))
    print(server.socket.getsockname()[1])
    asyncore.loop()
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    # both take the arguments the call passes, as smtpd.SMTPServer did
    assert outcome.source.count("        self._remoteaddr = remoteaddr\n") == 2
    assert f'server = {call}(("127.0.0.1", 0), ("relay.invalid", 25))\n' in outcome.source
    assert "server_controller = BoundController(server, " in outcome.source


@pytest.mark.parametrize(
    "choice, call",
    [
        ('SERVERS = {"accept": Accepting}\nSERVERS["fail"] = Failing\n', 'SERVERS["fail"]'),
        ("SERVERS = [Accepting, Failing]\nSERVERS.append(Accepting)\n", "SERVERS[0]"),
        ("Server = Accepting\nServer = Failing\n", "Server"),
        ("SERVERS = [Accepting, *OTHERS]\n", "SERVERS[0]"),
    ],
)
def test_noop_class_chosen_from_what_may_change(choice, call):
    choice = choice.replace("\n", "\n    ")  # each line at the snippet's indent
    reports = check_noop(
        CHOICE_CLASSES
        + f"""
    {choice}
    server = {call}(("127.0.0.1", 0), None)
    asyncore.loop()
    """
    )
    assert any("is not instantiated in this module" in r for r in reports)


def test_noop_class_chosen_among_classes_converting_differently():
    reports = check_noop(
        CHOICE_CLASSES
        + """
    class Counting(smtpd.SMTPServer):
        def __init__(self, localaddr):
            super().__init__(localaddr, None)

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    SERVERS = {"accept": Accepting, "count": Counting}
    server = SERVERS["count"](("127.0.0.1", 0), None)
    asyncore.loop()
    """
    )
    assert any(
        r.startswith(
            't.py:24: SERVERS["count"](...) chooses among Accepting, Counting: Counting has its '
            "own __init__, so no one start-up fits them all"
        )
        for r in reports
    ), reports


def test_smtpd_close_called_by_a_method_of_the_class_becomes_its_own_close():
    outcome = run("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass

            def stop(self):
                self.close()


        server = Sink(("localhost", 1025), None)
        try:
            asyncore.loop()
        except KeyboardInterrupt:
            server.stop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert outcome.source.count("def close(self):\n") == 1
    assert "    def stop(self):\n        self.close()\n" in outcome.source
    assert "server.controller = server_controller  # its close() stops it\n" in outcome.source
    assert "server_controller = BoundController(server, " in outcome.source  # stop() any time


@pytest.mark.parametrize(
    "finish, line",
    [
        ("self.close()", 10),
        ("self.tidy()\n\n            def tidy(self):\n                self.close()", 13),  # 2 calls
    ],
)
def test_noop_smtpd_close_reached_from_process_message(finish, line):
    reports = check_noop(f"""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                self.finish()

            def finish(self):
                {finish}


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """)
    expected = f"t.py:{line}: class Sink uses the dispatcher's close: process_message (or a"
    assert any(r.startswith(expected) for r in reports), reports
    assert any("would end the session before its reply" in r for r in reports), reports


def test_noop_own_close_reaching_asyncores_map_says_so():
    reports = check_noop("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass

            def close(self):
                smtpd.SMTPServer.close(self)
                for channel in list(asyncore.socket_map.values()):
                    channel.close()


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """)
    expected = (
        "t.py:9: class Sink overrides the dispatcher's close: its close() reaches smtpd or "
        "asyncore besides closing the base"
    )
    assert any(r.startswith(expected) for r in reports), reports


def test_made_by_its_own_classmethod_with_the_loop_thread_there():
    outcome = run("""
        import asyncore
        import smtpd
        import threading


        class Sink(smtpd.SMTPServer):
            @classmethod
            def start(cls, port=0):
                made = cls(("127.0.0.1", port), None)
                threading.Thread(target=asyncore.loop, daemon=True).start()
                return made

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        sink = Sink.start()
        print(sink.socket.getsockname()[1])
        sink.close()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "        made = cls()\n        made_controller = BoundController(" in outcome.source
    assert "        made.controller = made_controller  # its close() stops it\n" in outcome.source
    assert outcome.source.endswith("print(sink.socket.getsockname()[1])\nsink.close()\n")


def test_noop_made_as_type_of_self():
    reports = check_noop("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def clone(self):
                return type(self)(("127.0.0.1", 0), None)

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink(("127.0.0.1", 0), None)
        asyncore.loop()
    """)
    assert any("is created as type(self)(...) inside its own class" in r for r in reports)


PLAIN_BASE = """
    import asyncore
    import smtpd
    import socketserver


    class Helper:
        def note(self, text):
            print(text)
{extra}

    class Sink({bases}):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.note(mailfrom)
            self.log(mailfrom)


    server = Sink(("127.0.0.1", 0), None)
    asyncore.loop()
"""


def test_plain_base_of_the_module_first_is_kept_with_what_it_gives():
    source = PLAIN_BASE.format(
        extra="\n        def log(self, text):\n            print('log', text)\n",
        bases="Helper, smtpd.SMTPServer",
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert "class Sink(Helper):\n" in outcome.source


@pytest.mark.parametrize(
    "extra, bases, blocker",
    [
        # after smtpd's base, the dispatcher's log() won in the MRO
        (
            "\n        def log(self, text):\n            print('log', text)\n",
            "smtpd.SMTPServer, Helper",
            "another base or class keyword besides smtpd.SMTPServer (Helper)",
        ),
        # asyncore called log_info itself (handle_error): a handler never would
        (
            "\n        def log_info(self, text, type='info'):\n            print(text)\n",
            "Helper, smtpd.SMTPServer",
            "keeps this base, which defines the dispatcher's log_info",
        ),
        # the base reads the dispatcher's socket
        (
            "\n        def port(self):\n            return self.socket.getsockname()[1]\n",
            "Helper, smtpd.SMTPServer",
            "keeps this base, which reads the dispatcher's socket",
        ),
        # a class from elsewhere: what it gives is not known
        ("", "socketserver.BaseServer, smtpd.SMTPServer", "(socketserver.BaseServer)"),
    ],
)
def test_noop_other_base_the_handler_cannot_keep(extra, bases, blocker):
    reports = check_noop(PLAIN_BASE.format(extra=extra, bases=bases))
    assert any(blocker in r for r in reports), reports


def test_socket_read_by_the_class_once_it_serves_is_its_controllers():
    outcome = run("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass

            def port(self):
                return self.socket.getsockname()[1]


        server = Sink(("localhost", 1025), None)
        print(server.port())
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "        return self.socket.getsockname()[1]\n" in outcome.source
    assert "server_controller = BoundController(server, " in outcome.source
    assert "server.socket = server_controller.socket  # bound" in outcome.source


def test_noop_socket_read_while_the_server_is_made():
    reports = check_noop("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def __init__(self, localaddr):
                smtpd.SMTPServer.__init__(self, localaddr, None)
                self.show()

            def show(self):
                print(self.socket.getsockname())

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink(("localhost", 1025))
        asyncore.loop()
    """)
    assert any("class Sink uses the dispatcher's socket" in r for r in reports), reports


@pytest.mark.parametrize(
    "init, made, stored",
    [
        ("", 'Sink(("127.0.0.1", 0), None, decode_data=TEXT)', "self._decode_data = decode_data"),
        (
            "\n    def __init__(self, localaddr):\n"
            "        super().__init__(localaddr, None, decode_data=TEXT)\n",
            'Sink(("127.0.0.1", 0))',
            "self._decode_data = TEXT",
        ),
    ],
)
def test_computed_decode_data_is_read_by_handle_data(init, made, stored):
    outcome = run(
        f"""
    import asyncore
    import os
    import smtpd

    TEXT = os.environ.get("TEXT") == "1"


    class Sink(smtpd.SMTPServer):{textwrap.indent(init, "    ")}
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = {made}
    asyncore.loop()
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert f"        {stored}\n" in outcome.source
    assert "            if self._decode_data:\n" in outcome.source  # handle_DATA
    assert "        if self._decode_data:\n" in outcome.source  # handle_EHLO
    assert "                **options,\n" in outcome.source
    assert "decode_data=server._decode_data" not in outcome.source  # the handler decodes


def test_noop_computed_decode_data_with_its_own_mail_hook():
    reports = check_noop("""
        import asyncore
        import os
        import smtpd


        class Sink(smtpd.SMTPServer):
            async def handle_MAIL(self, server, session, envelope, address, mail_options):
                return "250 OK"

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink(("127.0.0.1", 0), None, decode_data=os.environ.get("TEXT") == "1")
        asyncore.loop()
    """)
    expected = "t.py:6: class Sink gets a computed decode_data and has its own EHLO or MAIL hook"
    assert any(r.startswith(expected) for r in reports), reports


def test_instances_of_one_class_with_different_decode_data_each_keep_theirs():
    outcome = run("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                print(type(data))


        text = Sink(("127.0.0.1", 0), None, decode_data=True)
        raw = Sink(("127.0.0.1", 0), None)
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert 'text = Sink(("127.0.0.1", 0), None, decode_data=True)\n' in outcome.source
    assert 'raw = Sink(("127.0.0.1", 0), None)\n' in outcome.source
    assert "        self._decode_data = decode_data\n" in outcome.source
    assert "            if self._decode_data:\n" in outcome.source


def test_noop_class_alias_also_used_as_a_base():
    reports = check_noop(
        CHOICE_CLASSES
        + """
    Server = Accepting


    class Louder(Server):
        pass


    server = Server(("127.0.0.1", 0), None)
    asyncore.loop()
    """
    )
    assert any("class Accepting is not instantiated in this module" in r for r in reports)


def test_noop_socket_read_by_a_method_init_reaches_through_another():
    reports = check_noop("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def __init__(self, localaddr):
                smtpd.SMTPServer.__init__(self, localaddr, None)
                self.announce()

            def announce(self):
                self.show()

            def show(self):
                print(self.socket.getsockname())

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink(("localhost", 1025))
        asyncore.loop()
    """)
    assert any("class Sink uses the dispatcher's socket" in r for r in reports), reports


OWN_LOG = """
    import asyncore
    import logging
    import smtpd


    class Sink(smtpd.SMTPServer):
        {own}

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.log.info("from %s", mailfrom)


    server = Sink(("127.0.0.1", 0), None)
    asyncore.loop()
"""


@pytest.mark.parametrize(
    "own",
    [
        'log = logging.getLogger("sink")',  # a class attribute
        "def __init__(self, *args, **kwargs):\n"
        "            super().__init__(*args, **kwargs)\n"
        '            self.log = logging.getLogger("sink")',
    ],
)
def test_a_class_with_its_own_log_keeps_it(own):
    """asyncore's dispatcher.log() (``log: <message>`` on stderr) is called by neither
    asyncore nor smtpd: a class's own ``log`` is only its own, and the handler keeps it."""
    outcome = run(OWN_LOG.format(own=own))
    assert [r for r in outcome.reports if not r.note] == []
    assert 'self.log.info("from %s", mailfrom)' in outcome.source
    assert 'logging.getLogger("sink")' in outcome.source


def test_noop_the_dispatchers_own_log_read_by_the_class():
    reports = check_noop(OWN_LOG.format(own="sink_name = 'sink'"))
    assert any("class Sink uses the dispatcher's log" in r for r in reports), reports


LISTENING = """
    import asyncore
    import smtpd


    class Ready(smtpd.SMTPServer):
        {init}def listen(self, num):
            print("ready")
            {base}

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Ready(("127.0.0.1", 2525), None)
    print("made")
    asyncore.loop()
    """


@pytest.mark.parametrize(
    "base",
    [
        "return super().listen(num)",
        "super(Ready, self).listen(num)",
        "smtpd.SMTPServer.listen(self, num)",
        "asyncore.dispatcher.listen(self, num)",
    ],
)
def test_an_own_listen_keeps_its_code_and_is_called_once_bound(base):
    outcome = run(LISTENING.format(init="", base=base))
    assert not [r for r in outcome.reports if not r.note]
    source = outcome.source
    assert '    def listen(self, num):\n        print("ready")\n\n' in source
    assert ".listen(num)" not in source and "import smtpd" not in source
    # smtpd.SMTPServer.__init__ bound, then listened: a BoundController binds when made
    assert source.split("class Ready:")[1].split("\nserver = Ready()\n")[1].startswith(
        'server_controller = BoundController(server, ("127.0.0.1", 2525), enable_SMTPUTF8=False)\n'
        "server.listen(5)  # smtpd.SMTPServer.__init__ called it once bound\n"
        'print("made")\n'
    )


def test_noop_an_own_listen_before_more_init_code_says_why():
    init = """def __init__(self, *args):
            smtpd.SMTPServer.__init__(self, *args)
            print("after listen")

        """
    reports = check_noop(LISTENING.format(init=init, base="super().listen(num)"))
    assert any(
        "class Ready overrides the dispatcher's listen, which smtpd's __init__ called once "
        "bound: the start-up cannot call it there (its __init__ goes on after the base call"
        in r
        for r in reports
    ), reports


def test_noop_a_listen_that_does_more_than_call_the_base_last():
    after_base = "super().listen(num)\n            print(1)"
    reports = check_noop(LISTENING.format(init="", base=after_base))
    assert any("overrides the dispatcher's listen: a handler has no socket" in r for r in reports)

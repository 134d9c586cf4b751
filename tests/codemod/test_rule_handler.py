"""Rule handler: process_message servers become handle_DATA handlers."""

from __future__ import annotations

import pytest

pytest.importorskip("libcst")

from before_after import check_noop, check_transformed, run  # noqa: E402

HANDLE_DATA = """\
    async def handle_DATA(self, server, session, envelope):
        # smtpd passed the body with LF line ends and without the final line end.
        data = envelope.original_content[:-2].replace(b"\\r\\n", b"\\n"){decode}
        call = functools.partial(
            self.process_message,
            session.peer,
            envelope.mail_from,
            list(envelope.rcpt_tos),
            data,{options}
        )
        reply = await asyncio.get_running_loop().run_in_executor(PROCESS_MESSAGE_EXECUTOR, call)
        return reply or "250 OK"

"""
BOTH = (
    "\n            mail_options=list(envelope.mail_options),"
    "\n            rcpt_options=list(envelope.rcpt_options),"
)
HEADER = """\
import asyncio
import concurrent.futures
import functools
import threading
from aiosmtpd.controller import Controller


PROCESS_MESSAGE_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=1)

"""
START = """
server = Sink()
server_controller = Controller(server, hostname="localhost", port=1025, {options}{extra})
server_controller.start()
threading.Event().wait()  # served until interrupted
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
HANDLE_DATA
    @staticmethod
    def process_message(peer, mailfrom, rcpttos, data):
        return "250 Queued"

"""
    after = expected(body, '.decode("utf-8")', "", extra=", decode_data=True")
    assert check_transformed(before, after) == []


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
    expected = "t.py:5: class Sink has no synchronous process_message"
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
    assert any(r.startswith("t.py:5: class Sink uses the dispatcher's close") for r in reports)


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

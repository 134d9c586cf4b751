"""The pytest plugin (``smtpd_compat.pytest_plugin``), driven through pytester.

Each test writes a small test module, runs pytest on it (in this process, or in a
subprocess for xdist), and checks the outcomes: the inner tests make the
assertions a user would, with real smtplib clients over real sockets.
"""

from __future__ import annotations

import os
import re
import textwrap
import threading
from pathlib import Path
from typing import Any, Dict, List

import pytest

# Imported here, not first in an inner run: pytester drops the modules an in-process
# run imported, and cryptography's Rust core does not survive being imported twice.
import trustme  # noqa: F401

from attack_support import wait_until

pytest_plugins = ["pytester"]

INI = """\
[pytest]
filterwarnings =
    error
    ignore:Python 3.8 is no longer supported
"""


def run(pytester: pytest.Pytester, source: str, *args: str, **outcomes: int) -> Any:
    """Run ``source`` as a test module; check its outcomes (``passed=2`` ...)."""
    pytester.makeini(INI)
    pytester.makepyfile(test_inner=textwrap.dedent(source))
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    result.assert_outcomes(**outcomes)
    return result


def test_the_plugin_is_installed_as_an_entry_point() -> None:
    from importlib import metadata

    entry_points = metadata.distribution("smtpd-compat").entry_points
    plugins = {ep.name: ep.value for ep in entry_points if ep.group == "pytest11"}
    assert plugins == {"smtpd_compat": "smtpd_compat.pytest_plugin"}


def test_fixtures_are_listed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        ["legacy_smtpd_factory -- *", "*", "smtp_sink_factory -- *", "*", "smtp_sink -- *"],
        consecutive=False,
    )


def test_sink_records_sender_recipients_raw_and_parsed_message(pytester: pytest.Pytester) -> None:
    run(
        pytester,
        """
        from email.message import EmailMessage

        def test_send(smtp_sink):
            assert smtp_sink.host == "127.0.0.1" and smtp_sink.port > 0
            assert smtp_sink.addr == ("127.0.0.1", smtp_sink.port)
            with smtp_sink.smtp() as client:
                client.sendmail(
                    "a@example.com", ["b@example.com", "c@example.com"],
                    "Subject: hi\\r\\n\\r\\n.dotted\\r\\nbody\\r\\n",
                )
            [received] = smtp_sink.messages
            assert received.mailfrom == "a@example.com"
            assert received.rcpttos == ["b@example.com", "c@example.com"]
            assert received.raw == received.data == b"Subject: hi\\n\\n.dotted\\nbody"
            assert received.peer[0] == "127.0.0.1"
            assert isinstance(received.message, EmailMessage)
            assert received.message["Subject"] == "hi"
            assert received.message.get_content() == ".dotted\\nbody"
            assert smtp_sink.outbox[0]["Subject"] == "hi"
            assert smtp_sink.refused == []
        """,
        passed=1,
    )


def test_each_test_gets_an_empty_sink(pytester: pytest.Pytester) -> None:
    run(
        pytester,
        """
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_send(smtp_sink, n):
            assert smtp_sink.messages == []
            with smtp_sink.smtp() as client:
                client.sendmail("a@example.com", ["b@example.com"], "n=%d" % n)
            assert [m.raw for m in smtp_sink.messages] == [b"n=%d" % n]
        """,
        passed=3,
    )


def test_mail_options_and_rcpt_options_are_recorded(pytester: pytest.Pytester) -> None:
    run(
        pytester,
        """
        def test_options(smtp_sink):
            with smtp_sink.smtp() as client:
                client.ehlo()
                client.sendmail("a@example.com", ["b@example.com"], b"x", ["BODY=8BITMIME"])
            assert "BODY=8BITMIME" in smtp_sink.messages[0].mail_options
        """,
        passed=1,
    )


def test_starttls_with_a_trusted_test_certificate(pytester: pytest.Pytester) -> None:
    run(
        pytester,
        """
        import smtplib
        import ssl

        import pytest

        @pytest.mark.smtp_sink(starttls=True, require_starttls=True)
        def test_tls(smtp_sink):
            with smtp_sink.smtp() as client:
                assert client.mail("a@example.com")[0] == 530
                client.starttls(context=smtp_sink.client_context)
                client.sendmail("a@example.com", ["b@example.com"], "secret")
            assert smtp_sink.messages[0].raw == b"secret"

        @pytest.mark.smtp_sink(starttls=True)
        def test_ca_file_for_clients_configured_by_path(smtp_sink):
            context = ssl.create_default_context(cafile=str(smtp_sink.ca_cert_path))
            with smtp_sink.smtp() as client:
                client.starttls(context=context)
                assert client.noop()[0] == 250

        @pytest.mark.smtp_sink(starttls=True)
        def test_an_untrusting_client_fails(smtp_sink):
            with smtp_sink.smtp() as client:
                with pytest.raises(ssl.SSLCertVerificationError):
                    client.starttls(context=ssl.create_default_context())

        def test_no_tls_by_default(smtp_sink):
            assert smtp_sink.client_context is None
            with smtp_sink.smtp() as client:
                client.ehlo()
                assert not client.has_extn("starttls")
        """,
        passed=4,
    )


def test_auth_with_given_users(pytester: pytest.Pytester) -> None:
    run(
        pytester,
        """
        import smtplib

        import pytest

        @pytest.mark.smtp_sink(users={"alice": "wonderland"}, auth_required=True)
        def test_plaintext_auth(smtp_sink):
            with smtp_sink.smtp() as client:
                client.ehlo()
                assert client.mail("a@example.com")[0] == 530
                with pytest.raises(smtplib.SMTPAuthenticationError):
                    client.login("alice", "wrong")
                client.login("alice", "wonderland")
                client.sendmail("a@example.com", ["b@example.com"], "hi")
            assert len(smtp_sink.messages) == 1

        @pytest.mark.smtp_sink(starttls=True, users={"alice": "wonderland"})
        def test_auth_after_starttls_only(smtp_sink):
            with smtp_sink.smtp() as client:
                client.ehlo()
                assert not client.has_extn("auth")
                client.starttls(context=smtp_sink.client_context)
                client.ehlo()
                assert client.login("alice", "wonderland")[0] == 235
        """,
        passed=2,
    )


def test_size_limit_and_decode_data(pytester: pytest.Pytester) -> None:
    run(
        pytester,
        """
        import smtplib

        import pytest

        @pytest.mark.smtp_sink(data_size_limit=100)
        def test_size(smtp_sink):
            with smtp_sink.smtp() as client:
                client.ehlo()
                assert client.esmtp_features["size"] == "100"
                with pytest.raises(smtplib.SMTPSenderRefused) as error:  # MAIL SIZE=200
                    client.sendmail("a@example.com", ["b@example.com"], "x" * 200)
                assert error.value.smtp_code == 552
                client.rset()
                client.mail("a@example.com")
                client.rcpt("b@example.com")
                assert client.data("x" * 200)[0] == 552
            assert smtp_sink.messages == []

        @pytest.mark.smtp_sink(decode_data=True)
        def test_decoded(smtp_sink):
            with smtp_sink.smtp() as client:
                client.sendmail("a@example.com", ["b@example.com"], "caf\\u00e9".encode())
            [received] = smtp_sink.messages
            assert received.data == "caf\\u00e9"
            assert received.raw == "caf\\u00e9".encode()
        """,
        passed=2,
    )


def test_reply_exercises_4xx_and_5xx_paths(pytester: pytest.Pytester) -> None:
    run(
        pytester,
        """
        import smtplib

        import pytest

        @pytest.mark.smtp_sink(reply="451 4.3.0 try again later")
        def test_temporary_failure_then_recovery(smtp_sink):
            with smtp_sink.smtp() as client:
                with pytest.raises(smtplib.SMTPDataError) as error:
                    client.sendmail("a@example.com", ["b@example.com"], "first")
                assert error.value.smtp_code == 451
                smtp_sink.reply = None
                client.sendmail("a@example.com", ["b@example.com"], "second")
            assert [m.raw for m in smtp_sink.messages] == [b"second"]
            assert [(m.raw, reply) for m, reply in smtp_sink.refused] == [
                (b"first", "451 4.3.0 try again later")
            ]

        def test_reply_per_message(smtp_sink):
            smtp_sink.reply = lambda m: "554 5.7.1 no spam" if b"spam" in m.raw else None
            with smtp_sink.smtp() as client:
                with pytest.raises(smtplib.SMTPDataError) as error:
                    client.sendmail("a@example.com", ["b@example.com"], "spam")
                assert error.value.smtp_code == 554
                client.sendmail("a@example.com", ["b@example.com"], "ham")
            assert [m.raw for m in smtp_sink.messages] == [b"ham"]
        """,
        passed=2,
    )


def test_wait_for_mail_sent_in_the_background(pytester: pytest.Pytester) -> None:
    run(
        pytester,
        """
        import smtplib
        import threading

        import pytest

        def test_background(smtp_sink):
            def send():
                with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as client:
                    client.sendmail("a@example.com", ["b@example.com"], "later")
            sender = threading.Thread(target=send)
            sender.start()
            assert [m.raw for m in smtp_sink.wait_for(1)] == [b"later"]
            sender.join(10)

        def test_timeout_says_what_arrived(smtp_sink):
            with pytest.raises(TimeoutError, match="1 message.* 0 accepted, 0 refused"):
                smtp_sink.wait_for(1, timeout=0.05)
        """,
        passed=2,
    )


def test_sink_factory_and_a_legacy_channel_class(pytester: pytest.Pytester) -> None:
    run(
        pytester,
        """
        import pytest

        import smtpd_compat as smtpd

        class XPingChannel(smtpd.SMTPChannel):
            def smtp_XPING(self, arg):
                self.push("250 pong")

        @pytest.mark.smtp_sink(channel_class=XPingChannel)
        def test_marker(smtp_sink):
            with smtp_sink.smtp() as client:
                assert client.docmd("XPING") == (250, b"pong")
                client.sendmail("a@example.com", ["b@example.com"], "x")
            assert len(smtp_sink.messages) == 1

        def test_factory(smtp_sink_factory):
            plain, tls = smtp_sink_factory(), smtp_sink_factory(starttls=True)
            assert plain.port != tls.port
            with tls.smtp() as client:
                client.starttls(context=tls.client_context)
                client.sendmail("a@example.com", ["b@example.com"], "x")
            assert (len(plain.messages), len(tls.messages)) == (0, 1)

        @pytest.mark.smtp_sink("positional")
        def test_marker_takes_keywords_only(smtp_sink):
            pass

        @pytest.mark.smtp_sink(no_such_option=True)
        def test_unknown_option(smtp_sink):
            pass
        """,
        passed=2,
        errors=2,
    )


LEGACY_SERVERS = """
import smtplib
import threading
import warnings

import pytest

import smtpd_compat as smtpd

with warnings.catch_warnings():  # deprecated on 3.11; pyasyncore on 3.12+
    warnings.simplefilter("ignore", DeprecationWarning)
    import asyncore


class ListServer(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        self.received = []
        self.loop_threads = []
        smtpd.SMTPServer.__init__(self, *args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data):  # 4 arguments
        self.received.append((mailfrom, rcpttos, data))


class FixedSignature(smtpd.SMTPServer):
    '''Py2-era: takes no map, so it lands in asyncore.socket_map.'''

    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr, decode_data=True)
        self.received = []

    def process_message(self, peer, mailfrom, rcpttos, data):
        self.received.append(data)


def send(server, text="hello"):
    port = server.socket.getsockname()[1]
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], text)
"""


def test_legacy_server_subclass_served_unchanged(pytester: pytest.Pytester) -> None:
    run(
        pytester,
        LEGACY_SERVERS
        + """
def test_private_map(legacy_smtpd_factory):
    server = legacy_smtpd_factory(ListServer, ("127.0.0.1", 0), None, decode_data=True)
    assert isinstance(server, ListServer)
    assert [e for e in server._map.values() if isinstance(e, smtpd.SMTPServer)] == [server]
    send(server)
    assert server.received == [("a@example.com", ["b@example.com"], "hello")]
    loops = [t for t in threading.enumerate() if t.name.startswith("smtpd_compat-test-loop")]
    assert len(loops) == 1 and loops[0].is_alive()

def test_default_arguments(legacy_smtpd_factory):
    server = legacy_smtpd_factory(ListServer, decode_data=True)
    assert server.socket.getsockname()[0] == "127.0.0.1"
    send(server)
    assert len(server.received) == 1

def test_no_map_parameter(legacy_smtpd_factory):
    server = legacy_smtpd_factory(FixedSignature)
    assert server._map is asyncore.socket_map
    send(server, "from the shared map")
    assert server.received == ["from the shared map"]

def test_closed_by_the_test(legacy_smtpd_factory):
    server = legacy_smtpd_factory(ListServer, decode_data=True)
    server.close()
""",
        passed=4,
    )


def test_exit_now_ends_the_loop_and_asyncore_loop_can_be_used(pytester: pytest.Pytester) -> None:
    run(
        pytester,
        LEGACY_SERVERS
        + """
class QuitChannel(smtpd.SMTPChannel):
    def smtp_QUIT(self, arg):
        self.push("221 Bye")
        raise asyncore.ExitNow()

class QuitServer(ListServer):
    channel_class = QuitChannel

def test_exit_now(legacy_smtpd_factory):
    server = legacy_smtpd_factory(QuitServer, loop=asyncore.loop)
    [loop] = [t for t in threading.enumerate() if t.name.startswith("smtpd_compat-test-loop")]
    send(server)
    loop.join(10)
    assert not loop.is_alive()
    assert [data for _, _, data in server.received] == [b"hello"]  # no loop, no service
""",
        passed=1,
    )


def test_a_loop_that_raises_or_hangs_fails_the_teardown(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        LEGACY_SERVERS
        + """
import smtpd_compat.pytest_plugin as plugin

def broken_loop(map, timeout):
    raise ZeroDivisionError("in the loop")

def test_raises(legacy_smtpd_factory):
    legacy_smtpd_factory(ListServer, loop=broken_loop)

@pytest.fixture
def release():
    event = threading.Event()
    yield event
    event.set()

def test_hangs(release, monkeypatch, legacy_smtpd_factory):
    monkeypatch.setattr(plugin, "TIMEOUT", 0.2)
    legacy_smtpd_factory(ListServer, loop=lambda map, timeout: release.wait(10))
""",
        passed=2,
        errors=2,
    )
    result.stdout.fnmatch_lines(["*ZeroDivisionError: in the loop*"])
    result.stdout.fnmatch_lines(["*did not return within 0.2s of close()*"])


def thread_names() -> List[str]:
    return sorted(t.name for t in threading.enumerate())


def open_fds() -> Dict[int, str]:
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[int(fd)] = os.readlink("/proc/self/fd/%s" % fd)
        except OSError:  # the listing's own descriptor, closed since
            pass
    return fds


def test_no_threads_or_file_descriptors_leak(pytester: pytest.Pytester) -> None:
    threads, fds = thread_names(), open_fds()
    run(
        pytester,
        LEGACY_SERVERS
        + """
@pytest.mark.parametrize("n", range(5))
@pytest.mark.smtp_sink(starttls=True, users={"u": "p"})
def test_many(smtp_sink, smtp_sink_factory, legacy_smtpd_factory, n):
    other = smtp_sink_factory(decode_data=True)
    server = legacy_smtpd_factory(ListServer)
    for target in (smtp_sink.server, other.server, server):
        with smtplib.SMTP("127.0.0.1", target.socket.getsockname()[1], timeout=10) as c:
            if target is smtp_sink.server:
                c.starttls(context=smtp_sink.client_context)
                c.login("u", "p")
            c.sendmail("a@example.com", ["b@example.com"], "x")
    assert (len(smtp_sink.messages), len(other.messages), len(server.received)) == (1, 1, 1)
""",
        passed=5,
    )
    # The engine's helper thread ends on its own once the last server closed (it may
    # still be on its way out when the inner session returns).
    assert wait_until(lambda: thread_names() == threads), thread_names()
    assert open_fds() == fds


def test_parallel_with_xdist(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_parallel="""
        import os

        import pytest

        @pytest.mark.parametrize("n", range(8))
        @pytest.mark.smtp_sink(starttls=True)
        def test_send(smtp_sink, n):
            with smtp_sink.smtp() as client:
                client.starttls(context=smtp_sink.client_context)
                client.sendmail("a@example.com", ["b@example.com"], "n=%d" % n)
            assert [m.raw for m in smtp_sink.messages] == [b"n=%d" % n]
            assert os.environ["PYTEST_XDIST_WORKER"] in ("gw0", "gw1")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", timeout=120)
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*2 workers*"])


ROOT = Path(__file__).parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def documented_tests() -> List[str]:
    """The test modules the docs show: README's example and the guide's "After" blocks."""
    guide = (ROOT / "migration_guide.md").read_text()
    section = guide[guide.index("## Test fixtures: the pytest plugin") :]
    blocks = BLOCK.findall((ROOT / "README.md").read_text()) + BLOCK.findall(section)
    return [block for block in blocks if "def test_" in block]


def test_the_docs_show_tests() -> None:
    assert len(documented_tests()) >= 4


@pytest.mark.parametrize("source", documented_tests())
def test_documented_tests_pass(pytester: pytest.Pytester, source: str) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_documented=source)
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes()["passed"] == source.count("def test_")

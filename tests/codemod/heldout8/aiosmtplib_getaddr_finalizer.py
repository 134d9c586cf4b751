# Shape: an asyncio SMTP client library's test server module: TestSMTPDChannel
# (smtpd.SMTPChannel) overriding the private _getaddr(arg) to return (None, '') instead
# of letting email's HeaderParseError escape on an unparsable address; TestSMTPD
# (smtpd.SMTPServer) with channel_class = TestSMTPDChannel, __init__(*args, **kwargs)
# forwarding with super() then a messages list, and a **kwargs process_message appending
# (peer, mailfrom, rcpttos, data, kwargs); ThreadedSMTPDServer, a plain wrapper whose
# __init__(hostname, port) builds the server, start() runs serve_forever on a daemon
# thread, serve_forever() calls asyncore.loop(1, True) (timeout and use_poll passed
# positionally: "select doesn't seem to work"), stop() closes the server and joins with a
# timeout; a pytest fixture smtpd_server(request, unused_tcp_port) that starts it and
# registers stop with request.addfinalizer. (The fixture runs by hand with a small
# request object and port 0; the test waits for stdin to close, then reads the messages.)
import asyncore
import smtpd
import sys
import threading
from email.errors import HeaderParseError

from _record import record


class TestSMTPDChannel(smtpd.SMTPChannel):

    def _getaddr(self, arg):
        """
        Don't raise an exception on unparsable email address
        """
        try:
            return super()._getaddr(arg)
        except HeaderParseError:
            return None, ""


class TestSMTPD(smtpd.SMTPServer):
    channel_class = TestSMTPDChannel

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.messages = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.messages.append((peer, mailfrom, rcpttos, data, kwargs))


class ThreadedSMTPDServer:

    def __init__(self, hostname, port):
        self.hostname = hostname
        self.port = port
        self.smtpd = TestSMTPD((self.hostname, self.port), None)

    def start(self):
        self.server_thread = threading.Thread(target=self.serve_forever)
        # Exit the server thread when the main thread terminates
        self.server_thread.daemon = True
        self.server_thread.start()

    def serve_forever(self):
        # We use poll here - select doesn't seem to work.
        asyncore.loop(1, True)

    def stop(self):
        self.smtpd.close()
        self.server_thread.join(timeout=0.5)


class FixtureRequest(object):  # noqa: UP004
    def __init__(self):
        self.finalizers = []

    def addfinalizer(self, fn):
        self.finalizers.append(fn)

    def finish(self):
        while self.finalizers:
            self.finalizers.pop()()


def smtpd_server(request, unused_tcp_port):
    server = ThreadedSMTPDServer("127.0.0.1", unused_tcp_port)
    server.start()

    request.addfinalizer(server.stop)

    return server


def test_sendmail(smtpd_server):
    sys.stdin.read()
    for peer, mailfrom, rcpttos, data, kwargs in smtpd_server.smtpd.messages:  # noqa: B007
        print(mailfrom, rcpttos, sorted(kwargs), len(data))


if __name__ == "__main__":
    request = FixtureRequest()
    server = smtpd_server(request, 0)
    print(server.smtpd.socket.getsockname()[1], flush=True)
    try:
        test_sendmail(server)
    finally:
        request.finish()

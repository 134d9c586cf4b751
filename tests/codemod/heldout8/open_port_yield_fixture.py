# Shape: an analytics service's conftest: TestSMTPServer(smtpd.SMTPServer) whose
# __init__(localaddr) sets self.received and self._port BEFORE calling the base by name
# with remoteaddr None, a 4-argument process_message (default decode_data: TypeError on
# every message under Python 3) appending the data, start() running asyncore.loop on a
# Thread(target=asyncore.loop, kwargs={'timeout': 0.1}) and a close() override that calls
# the base close() then joins that thread; a pytest.yield_fixture smtp_server that picks
# a port with _get_open_port() (bind port 0 on a throwaway socket, read it, close it),
# builds and starts the server, yields it and closes it. (The fixture is driven by hand:
# next() for set-up, the test waits for stdin to close, next() again for tear-down.)
import asyncore
import smtpd
import socket
import sys
import threading

from _record import record


def smtp_server():
    port = _get_open_port()
    server = TestSMTPServer(("127.0.0.1", port))
    server.start()
    yield server
    server.close()


def _get_open_port(host="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class TestSMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr):
        self.received = []
        self._port = localaddr[1]
        smtpd.SMTPServer.__init__(self, localaddr, None)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.received.append(data)

    def start(self):
        self.thread = threading.Thread(target=asyncore.loop,
                                       kwargs={"timeout": 0.1})
        self.thread.start()

    def close(self):
        smtpd.SMTPServer.close(self)
        self.thread.join()


def test_summary_mail(smtp_server):
    sys.stdin.read()
    print("received:", len(smtp_server.received))


if __name__ == "__main__":
    fixture = smtp_server()
    server = next(fixture)
    print(server._port, flush=True)
    test_summary_mail(server)
    next(fixture, None)
    print("loop thread alive:", server.thread.is_alive())

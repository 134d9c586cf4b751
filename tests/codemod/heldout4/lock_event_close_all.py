# Shape: a client library's test helper: a module-level SERVER_LOCK Event set by
# MockupSMTPServer.__init__ (super().__init__(bind, None, decode_data=False), then
# server_address read from self.socket), process_message(*args, **kwargs) that passes, and
# a contextlib.contextmanager smtp_server() starting Thread(target=asyncore.loop,
# daemon=True), waiting on the lock, yielding (server, address) and ending with
# asyncore.close_all().
import asyncore
import contextlib
import smtpd
import sys
import threading

from _record import record

SERVER_LOCK = threading.Event()


class MockupSMTPServer(smtpd.SMTPServer):
    def __init__(self, bind):
        super().__init__(bind, None, decode_data=False)
        self.server_address = self.socket.getsockname()[:2]
        SERVER_LOCK.set()

    def process_message(*args, **kwargs):
        record(*args[1:], **kwargs)
        pass


@contextlib.contextmanager
def smtp_server(bind=("127.0.0.1", 0)):
    server = MockupSMTPServer(bind)
    thread = threading.Thread(target=asyncore.loop, daemon=True)
    thread.start()
    SERVER_LOCK.wait()
    yield server, server.server_address
    asyncore.close_all()


if __name__ == "__main__":
    with smtp_server() as (server, address):
        print(address[1], flush=True)
        sys.stdin.readline()
    print("server gone:", not asyncore.socket_map)

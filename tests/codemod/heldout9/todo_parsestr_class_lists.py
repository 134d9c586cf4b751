# Shape: a web project's half-finished fake mail server module: `from smtpd import
# SMTPServer`, FakeSMTPServer(SMTPServer) with class-level `total = 0` and `files = []`,
# a **kwargs process_message whose only real line is Parser().parsestr(data) (data is
# bytes under the default decode_data, so it raises TypeError inside process_message and
# smtpd drops the connection) followed by a "TODO: Finish this off." comment and `...`;
# the module's runner builds it with remoteaddr None and wraps asyncore.loop() in
# try/except KeyboardInterrupt that closes the server and prints the class counters.
import asyncore
from email.parser import Parser
from smtpd import SMTPServer

from _record import record


class FakeSMTPServer(SMTPServer):
    total = 0
    files = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        _ = Parser().parsestr(data)
        # TODO: Finish this off.
        ...


def run():
    server = FakeSMTPServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        server.close()
        print("total:", FakeSMTPServer.total, "files:", FakeSMTPServer.files)


if __name__ == "__main__":
    run()

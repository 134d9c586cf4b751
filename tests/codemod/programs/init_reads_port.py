# A client library's test double: __init__ calls the base __init__ with port 0, then
# reads host and port back from self.socket; a helper starts a daemon loop thread and
# the test reads server.port; shutdown closes the server and joins the loop thread.
import asyncore
import smtpd
import sys
import threading

from _record import record


class PortReportingServer(smtpd.SMTPServer):
    def __init__(self, host="127.0.0.1"):
        super().__init__((host, 0), None, decode_data=False)
        self.host, self.port = self.socket.getsockname()[:2]
        self.received = []

    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=(), rcpt_options=()):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        self.received.append(len(data))


def serve_in_background():
    server = PortReportingServer()
    loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True)
    loop.start()
    return server, loop


if __name__ == "__main__":
    server, loop = serve_in_background()
    print(server.port, flush=True)
    sys.stdin.readline()  # the test closes stdin when its dialogues are done
    server.close()
    loop.join(10)
    print("stopped:", not loop.is_alive(), "sizes:", server.received, flush=True)

# Shape: an LMS's bulk-email tests: a fault-injecting FakeSMTPServer ((*args, **kwargs)
# init, set_errtype(), a handle_accept override choosing between dropping the
# connection, a channel that only answers 421, or the base handle_accept; a
# process_message(*_args, **_kwargs) failing the first message with the configured
# reply), serve_forever() looping, and a Thread subclass with is_ready/error, start()
# waiting for readiness and stop() closing the server and joining.
import asynchat
import asyncore
import smtpd
import sys
import threading

from _record import record


class FakeSMTPChannel(smtpd.SMTPChannel):
    """Answers every connection with a 421 (smtplib raises SMTPConnectError)."""

    def __init__(self, server, conn, addr):
        asynchat.async_chat.__init__(self, conn)
        self.smtp_server = server
        self.conn = conn
        self.addr = addr
        self.received_lines = []
        self.smtp_state = self.COMMAND
        self.push("421 SMTP Server error: too many concurrent sessions, please try again later.")
        self.set_terminator(b"\r\n")


class FakeSMTPServer(smtpd.SMTPServer):
    """A fake SMTP server for generating different smtplib exceptions."""

    def __init__(self, *args, **kwargs):
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.errtype = None
        self.reply = None

    def set_errtype(self, errtype, reply=""):
        self.errtype = errtype
        self.reply = reply

    def handle_accept(self):
        if self.errtype == "DISCONN":
            self.accept()
        elif self.errtype == "CONN":
            pair = self.accept()
            if pair is not None:
                conn, addr = pair
                FakeSMTPChannel(self, conn, addr)
        else:
            smtpd.SMTPServer.handle_accept(self)

    def process_message(self, *_args, **_kwargs):
        record(*_args, **_kwargs)
        if self.errtype == "DATA":
            # after failing on the first email, succeed on the rest
            self.errtype = None
            return self.reply
        return None

    def serve_forever(self):
        asyncore.loop()


class FakeSMTPServerThread(threading.Thread):
    """Thread for running a fake SMTP server"""

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.is_ready = threading.Event()
        self.error = None
        self.server = None
        super(FakeSMTPServerThread, self).__init__()  # noqa: UP008

    def start(self):
        self.daemon = True
        super(FakeSMTPServerThread, self).start()  # noqa: UP008
        self.is_ready.wait()
        if self.error:
            raise self.error

    def stop(self):
        if hasattr(self, "server"):
            self.server.close()
        self.join(10)

    def run(self):
        try:
            self.server = FakeSMTPServer((self.host, self.port), None)
            self.server.set_errtype("DATA", "554 Transaction failed")
            self.is_ready.set()
            self.server.serve_forever()
        except Exception as exc:
            self.error = exc
            self.is_ready.set()


if __name__ == "__main__":
    thread = FakeSMTPServerThread("127.0.0.1", 0)
    thread.start()
    print(thread.server.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
    thread.stop()
    print("errtype left:", thread.server.errtype)

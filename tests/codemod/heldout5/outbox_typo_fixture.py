# Shape: a mail CLI's pytest module: MailSink(smtpd.SMTPServer) with
# __init__(host='localhost', port=0) calling super(MailSink, self).__init__((host, port),
# None) and creating self.mailbox, but process_message(**kwargs) parses with
# email.message_from_bytes and appends to self.outbox, which was never set (AttributeError
# on every message); the fixture that builds it is a module-level function named `smtpd`,
# which rebinds the module's name. The loop runs on a daemon thread here.
import asyncore
import email
import smtpd
import sys
import threading

from _record import record


class MailSink(smtpd.SMTPServer):
    def __init__(self, host="localhost", port=0):
        super(MailSink, self).__init__((host, port), None)  # noqa: UP008
        self.mailbox = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        message = email.message_from_bytes(data)
        self.outbox.append(message)


def smtpd():  # noqa: F811
    return MailSink(host="127.0.0.1")


if __name__ == "__main__":
    sink = smtpd()
    print(sink.socket.getsockname()[1], flush=True)
    loop_thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1}, daemon=True)
    loop_thread.start()
    sys.stdin.read()
    print("mailbox holds", len(sink.mailbox))

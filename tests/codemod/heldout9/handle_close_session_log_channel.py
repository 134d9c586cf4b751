# Shape: an audit-logging sink: AuditChannel(smtpd.SMTPChannel) wrapping smtp_MAIL and
# smtp_RCPT to count commands (then the base), and overriding handle_close to print a
# one-line session summary (commands, messages) before calling the base handle_close;
# AuditServer(smtpd.SMTPServer) with channel_class, decode_data=True passed by keyword and
# a 4-argument process_message that counts on the channel it finds in the socket map and
# prints the subject; the loop runs on a daemon thread and the main thread waits with
# `while t.is_alive(): t.join(0.5)` inside try/except KeyboardInterrupt.
import asyncore
import smtpd
import threading

from _record import record


class AuditChannel(smtpd.SMTPChannel):
    def __init__(self, *args, **kwargs):
        smtpd.SMTPChannel.__init__(self, *args, **kwargs)
        self.commands = 0
        self.messages = 0

    def smtp_MAIL(self, arg):
        self.commands += 1
        smtpd.SMTPChannel.smtp_MAIL(self, arg)

    def smtp_RCPT(self, arg):
        self.commands += 1
        smtpd.SMTPChannel.smtp_RCPT(self, arg)

    def found_terminator(self):
        if self.smtp_state == self.DATA:
            self.messages += 1
        smtpd.SMTPChannel.found_terminator(self)

    def handle_close(self):
        print("session closed: %d MAIL/RCPT command(s), %d message(s)"
              % (self.commands, self.messages), flush=True)
        smtpd.SMTPChannel.handle_close(self)


class AuditServer(smtpd.SMTPServer):
    channel_class = AuditChannel

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        subject = [x for x in data.split("\n") if x.startswith("Subject:")]
        print("message:", subject[0] if subject else "(no subject)", flush=True)


server = AuditServer(("127.0.0.1", 0), None, decode_data=True)
print(server.socket.getsockname()[1], flush=True)
t = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1}, daemon=True)
t.start()
try:
    while t.is_alive():
        t.join(0.5)
except KeyboardInterrupt:
    print("interrupted")

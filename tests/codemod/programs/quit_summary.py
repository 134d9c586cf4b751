# A test sink whose QUIT prints a line about the session (the peer and the name it gave
# in HELO/EHLO, if any), says goodbye in its own words and closes when that is sent.
import asyncore
import smtpd

from _record import record


class SummaryChannel(smtpd.SMTPChannel):
    def smtp_QUIT(self, arg):
        name = self.seen_greeting or "(no greeting)"
        print("session from", self.peer[0], "as", name, "ends", flush=True)
        self.push("221 2.0.0 mail.example.test closing, goodbye")
        self.close_when_done()


class SummarySink(smtpd.SMTPServer):
    channel_class = SummaryChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


sink = SummarySink(("127.0.0.1", 0), None)
print(sink.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    sink.close()

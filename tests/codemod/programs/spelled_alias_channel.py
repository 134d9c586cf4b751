# A load-test sink whose channel (not named SMTPChannel) reads smtpd's private state
# spelled out, self._SMTPChannel__greeting and self._SMTPChannel__rcpttos, as copies of
# old smtpd code do: its EHLO announces one capability line of its own before the
# base's reply, once per session, and XCOUNT tells how many recipients are pending.
import asyncore
import smtpd

from _record import record


class CountingChannel(smtpd.SMTPChannel):
    def smtp_EHLO(self, arg):
        if not self._SMTPChannel__greeting:
            self.push("250-sink.example welcomes %s" % (arg or "nobody"))
        smtpd.SMTPChannel.smtp_EHLO(self, arg)

    def smtp_XCOUNT(self, arg):
        pending = len(self._SMTPChannel__rcpttos)
        self.push("250 %d pending for %s" % (pending, self._SMTPChannel__greeting or "?"))


class CountingSink(smtpd.SMTPServer):
    channel_class = CountingChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


sink = CountingSink(("127.0.0.1", 0), None)
print(sink.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    sink.close()

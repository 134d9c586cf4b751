# Shape: the stdlib test suite's DummyServer: explicit (*args, **kwargs) __init__, a
# messages list, a return status chosen by reading self._decode_data, '250 Okish' for a
# body equal to it, a special reply when SMTPUTF8 is among the mail options.
import asyncore
import smtpd

from _record import record


class DummyServer(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.messages = []
        if self._decode_data:
            self.return_status = "return status"
        else:
            self.return_status = b"return status"

    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        record(peer, mailfrom, rcpttos, data, **kw)
        self.messages.append((peer, mailfrom, rcpttos, data))
        if data == self.return_status:
            return "250 Okish"
        if "mail_options" in kw and "SMTPUTF8" in kw["mail_options"]:
            return "250 SMTPUTF8 message okish"
        if data.startswith(b"Subject: caf"):
            return "250 Okish utf8"


dummy = DummyServer(("127.0.0.1", 0), None)
print(dummy.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("messages", len(dummy.messages))

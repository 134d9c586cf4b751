# Shape: a fake server that sets a flag before calling the base __init__ and prints the
# positional arguments and keyword names it was given (process_message(self, *args, **kw)).
import asyncore
import smtpd

from _record import record


class FlagServer(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        self.got_mail = False
        smtpd.SMTPServer.__init__(self, *args, **kwargs)

    def process_message(self, *args, **kwargs):
        print("message with", len(args), "arguments and", sorted(kwargs))
        record(*args, **kwargs)
        self.got_mail = True


flagged = FlagServer(("127.0.0.1", 0), None)
print(flagged.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("got mail:", flagged.got_mail)
    flagged.close()

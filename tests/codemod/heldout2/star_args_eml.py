# Shape: the "noddy fake SMTP server" blog copy: __init__(*args, **kwargs) with self
# hidden in args, process_message(*args, **kwargs) reading args[4], one .eml file per
# message, a banner print, and try/except KeyboardInterrupt around the bare loop.
import asyncore
import os
import smtpd

from _record import record

OUTBOX = "mails"


class FakeSMTPServer(smtpd.SMTPServer):
    """Accepts everything and drops it into the mails/ folder."""

    def __init__(*args, **kwargs):
        print("Running fake smtp server")
        smtpd.SMTPServer.__init__(*args, **kwargs)
        args[0].written = 0

    def process_message(*args, **kwargs):
        self = args[0]
        record(args[1], args[2], args[3], args[4], **kwargs)
        self.written += 1
        name = os.path.join(OUTBOX, "%04d.eml" % self.written)
        with open(name, "wb") as mail:
            mail.write(args[4])
        print("New mail from " + args[2] + " to " + ", ".join(args[3]))


if __name__ == "__main__":
    os.makedirs(OUTBOX, exist_ok=True)
    smtp_server = FakeSMTPServer(("127.0.0.1", 0), None)
    print(smtp_server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        smtp_server.close()
        print("bye")

# A sink that keeps smtpd's diagnostics in memory and reads them back at the end: the
# codemod cannot give it smtpd's lines, so that use stays and is reported.
import asyncore
import io
import smtpd

from _record import record

smtpd.DEBUGSTREAM = io.StringIO()


class QuietSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = QuietSink(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("diagnostics kept:", smtpd.DEBUGSTREAM.getvalue().count("sender:"))

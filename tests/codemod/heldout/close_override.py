# Shape: a capture server overriding close() to report and flush what it kept, then
# calling the base close(); the program closes it after Ctrl+C.
import asyncore
import smtpd

from _record import record


class CapturingServer(smtpd.SMTPServer):
    def __init__(self, localaddr):
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self.captured = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.captured.append(mailfrom)

    def close(self):
        print("closing with", len(self.captured), "messages", flush=True)
        smtpd.SMTPServer.close(self)


capturing = CapturingServer(("127.0.0.1", 0))
print(capturing.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    capturing.close()

# Shape: a one-shot test server: smtp_QUIT overridden to close the listening server, say
# goodbye and raise asyncore.ExitNow so the loop ends after the first session; the caller
# catches ExitNow and reports what was received.
import asyncore
import smtpd
import sys

from _record import record


class OneShotChannel(smtpd.SMTPChannel):
    def smtp_QUIT(self, arg):
        self.smtp_server.close()
        self.push("221 Bye, one session served")
        self.close_when_done()
        raise asyncore.ExitNow("session finished")


class OneShotServer(smtpd.SMTPServer):
    channel_class = OneShotChannel
    received = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.received += 1


server = OneShotServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except asyncore.ExitNow as reason:
    print("loop ended:", reason)
print("received", server.received, flush=True)
sys.stdin.readline()

# A sink whose channel announces each client from its __init__ (after the base sent the
# greeting) and counts it on the server; the count goes with each message recorded.
import asyncore
import smtpd

from _record import record


class AnnouncingChannel(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr, *args, **kwargs):
        super().__init__(server, conn, addr, *args, **kwargs)
        server.sessions += 1
        # the sink's own log line, one per client
        print("session", server.sessions, "from", addr[0], flush=True)


class AnnouncingSink(smtpd.SMTPServer):
    channel_class = AnnouncingChannel
    sessions = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("message in session", self.sessions, flush=True)


sink = AnnouncingSink(("127.0.0.1", 0), None)
print(sink.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("sessions:", sink.sessions, flush=True)

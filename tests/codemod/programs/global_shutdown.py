# A module-level server that a shutdown function closes through the global name, the
# loop with an explicit timeout, a counter kept on the server.
import asyncore
import smtpd

from _record import record


class CountingServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.messages = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.messages += 1
        record(peer, mailfrom, rcpttos, data, **kwargs)


def shutdown():
    server.close()
    print("closed after", server.messages, "messages", flush=True)


server = CountingServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop(timeout=2)
except KeyboardInterrupt:
    shutdown()

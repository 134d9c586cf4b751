# A DebuggingServer subclass that replaces its printing with its own log lines.
import asyncore
import smtpd

from _record import record


class QuietServer(smtpd.DebuggingServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        print("from", mailfrom, "to", len(rcpttos), "recipients", flush=True)
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = QuietServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()

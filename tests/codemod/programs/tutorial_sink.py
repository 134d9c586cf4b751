# A tutorial mail sink (PyMOTW style): prints and records every message.
import asyncore
import smtpd

from _record import record


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        print("Receiving message from:", peer[0])
        print("Message length        :", len(data))
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = CustomSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)

try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()

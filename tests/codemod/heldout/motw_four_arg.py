# Shape: the PyMOTW tutorial server. A 4-argument process_message (no **kwargs) with
# the default decode_data, prints what it got; a bare asyncore.loop() ended by Ctrl+C.
import asyncore
import smtpd

from _record import record


class PrintingServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        print("Receiving message from:", peer[0])
        print("Message addressed from:", mailfrom)
        print("Message addressed to  :", rcpttos)
        print("Message length        :", len(data))
        record(peer, mailfrom, rcpttos, data)


server = PrintingServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    pass

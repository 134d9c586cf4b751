# Shape: a benchmarking example server: SecureSMTPServer whose __init__ does nothing (no
# base init), a 4-argument process_message with the argument renamed message_data
# (default decode_data) that passes, and a start() method that only then calls
# SMTPServer.__init__(self, address, None) and runs asyncore.loop(); module level
# server = SecureSMTPServer(); server.start().
import asyncore
from smtpd import SMTPServer

from _record import record


class SecureSMTPServer(SMTPServer):
    def __init__(self):
        pass

    def process_message(self, peer, mailfrom, rcpttos, message_data):
        record(peer, mailfrom, rcpttos, message_data)
        pass

    def start(self):
        SMTPServer.__init__(self, ("127.0.0.1", 0), None)
        print(self.socket.getsockname()[1], flush=True)
        asyncore.loop()


server = SecureSMTPServer()
server.start()

# Shape: a test module with several fake servers: one that accepts and stores
# (decode_data=True, **kwargs) and one that always answers a temporary failure, chosen
# by a module constant; only the chosen one is started.
import asyncore
import smtpd

from _record import record

MODE = "accept"


class AcceptingServer(smtpd.SMTPServer):
    messages = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.messages.append(data)
        print("accepted", mailfrom, len(data))


class FailingServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        return "421 4.3.2 service shutting down"


SERVERS = {"accept": AcceptingServer, "fail": FailingServer}

server = SERVERS[MODE](("127.0.0.1", 0), None, decode_data=True)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop(timeout=0.5)
except KeyboardInterrupt:
    print("stored", len(AcceptingServer.messages))

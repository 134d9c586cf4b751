# A server made through a classmethod factory that also starts its loop thread; the
# caller closes what the factory returned.
import asyncore
import smtpd
import sys
import threading

from _record import record


class FactorySink(smtpd.SMTPServer):
    @classmethod
    def running(cls, port=0):
        server = cls(("127.0.0.1", port), None)
        threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True).start()
        return server

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = FactorySink.running()
print(server.socket.getsockname()[1], flush=True)
sys.stdin.readline()
server.close()

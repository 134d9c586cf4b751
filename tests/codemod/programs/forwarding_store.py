# An __init__ taking its own first argument and passing the rest on with *args and
# **kwargs; the server is made with decode_data=True among the forwarded keywords.
import asyncore
import smtpd

from _record import record


class StoringServer(smtpd.SMTPServer):
    def __init__(self, store, *args, **kwargs):
        self.store = store
        smtpd.SMTPServer.__init__(self, *args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.store.append(len(data))


sizes = []
server = StoringServer(sizes, ("127.0.0.1", 0), None, decode_data=True)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("sizes", sizes, flush=True)

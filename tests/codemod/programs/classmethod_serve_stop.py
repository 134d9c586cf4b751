# A test helper made by a classmethod that starts the loop thread it keeps on the server;
# its own stop() calls smtpd's close() and joins that thread.
import asyncore
import smtpd
import sys
import threading

from _record import record


class InboxServer(smtpd.SMTPServer):
    def __init__(self, localaddr, refused_user):
        super().__init__(localaddr, None)
        self.refused_user = refused_user
        self.inbox = []
        self.loop_thread = None

    @classmethod
    def serve(cls, refused_user, port=0):
        server = cls(("127.0.0.1", port), refused_user)
        server.loop_thread = threading.Thread(
            target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True
        )
        server.loop_thread.start()
        return server

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if any(rcpt.startswith(self.refused_user + "@") for rcpt in rcpttos):
            return "550 5.1.1 no such user"
        self.inbox.append((mailfrom, list(rcpttos)))

    def stop(self):
        self.close()
        self.loop_thread.join(10)


server = InboxServer.serve("nobody")
print(server.socket.getsockname()[1], flush=True)
sys.stdin.readline()
server.stop()
print(len(server.inbox), "in the inbox", server.inbox[-1], flush=True)

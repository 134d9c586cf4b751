# A server class that owns its serving loop: serve() holds the loop, main()
# creates the server in a local and closes it on Ctrl+C (the loop is in another method).
import asyncore
import smtpd

from _record import record


class TaggingServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.tags = []

    def serve(self):
        # runs until Ctrl+C
        asyncore.loop(timeout=0.5)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.tags.append(len(rcpttos))


def main():
    server = TaggingServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        server.close()
        print("tags", server.tags, flush=True)


if __name__ == "__main__":
    main()

# A dev mail tool's main(): the server is made without a name (it lives in the socket
# map), found again through the socket map to print the port it bound, then served by
# a bare loop in try/except KeyboardInterrupt that logs the shutdown.
import asyncore
import smtpd

from _record import record


class DevServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("mail for", ", ".join(rcpttos), flush=True)


def main():
    DevServer(("127.0.0.1", 0), None)
    for dispatcher in list(asyncore.socket_map.values()):
        print(dispatcher.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("cleaning up", flush=True)


main()

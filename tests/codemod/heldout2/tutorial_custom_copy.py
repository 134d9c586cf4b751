# Shape: the most common tutorial copy: CustomSMTPServer with a 4-argument process_message
# and the default decode_data, str.format prints, a module-level list of what it saw, and
# server.close() in the KeyboardInterrupt handler under __main__.
import asyncore
import smtpd

from _record import record

SEEN = []


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("Receiving message from: {}".format(peer[0]))  # noqa: UP032
        print("Message addressed from: {}".format(mailfrom))  # noqa: UP032
        print("Message addressed to  : {}".format(rcpttos))  # noqa: UP032
        print("Message length        : {}".format(len(data)))  # noqa: UP032
        SEEN.append(mailfrom)


if __name__ == "__main__":
    server = CustomSMTPServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        server.close()
        print("seen", SEEN)

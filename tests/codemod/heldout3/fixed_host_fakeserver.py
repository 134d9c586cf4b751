# Shape: an old "fake server" script: __init__(self) without arguments calling
# smtpd.SMTPServer.__init__ with module HOST/PORT constants, a 4-argument
# process_message (default decode_data) printing separators and the envelope,
# try: asyncore.loop() except KeyboardInterrupt.
# TODO: compare with the built-in: python -m smtpd -n -c DebuggingServer localhost:1025
import asyncore
import smtpd

from _record import record

PORT = 0
HOST = "127.0.0.1"


class FakeServer(smtpd.SMTPServer):
    def __init__(self):
        smtpd.SMTPServer.__init__(self, (HOST, PORT), None)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("---------------<MAIL>----------------------------------")
        print(peer[0])
        print(mailfrom)
        print(rcpttos)
        print(data)
        print("---------------</MAIL>---------------------------------")


if __name__ == "__main__":
    print("starting fake server")
    server = FakeServer()
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("stopped")

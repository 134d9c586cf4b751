# Shape: a network-programming cookbook's mail server example: CustomSMTPServer with a
# 4-argument process_message (default decode_data) printing peer, From, To and the whole
# message, a bare return; argparse --host/--port options (required in the book; here with
# defaults so the program starts without arguments) and a bare asyncore.loop().
import argparse
import asyncore
import smtpd

from _record import record


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("Message Received from:", peer[0])
        print("From:", mailfrom)
        print("To  :", rcpttos)
        print("Message :", data)
        return


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Mail Server Example")
    parser.add_argument("--host", action="store", dest="host", type=str, default="127.0.0.1")
    parser.add_argument("--port", action="store", dest="port", type=int, default=0)
    given_args = parser.parse_args()
    server = CustomSMTPServer((given_args.host, given_args.port), None)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()

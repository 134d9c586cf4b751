# Shape: a "simple mail server" helper: _get_args() with argparse -p/--port (a default in
# the script), a DebuggingServer subclass (the same name as the base) whose 4-argument
# process_message (default decode_data) prints peer, mailfrom and rcpttos ("why doesn't a
# debugging server just print everything?") and then calls
# smtpd.DebuggingServer.process_message by name; start_simple_server() builds it and
# runs a bare loop.
import argparse
import asyncore
import smtpd

from _record import record


def _get_args():
    p = argparse.ArgumentParser()
    p.add_argument("-p", "--port", type=int, help="Bind to port", default=0)
    return p.parse_args()


class DebuggingServer(smtpd.DebuggingServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        # the stock debugging server leaves the envelope out
        print("peer:", peer[0])
        print("mailfrom:", mailfrom)
        print("rcpttos:", rcpttos)
        smtpd.DebuggingServer.process_message(self, peer, mailfrom, rcpttos, data)


def start_simple_server():
    "A simple mail server that prints what it receives"
    args = _get_args()
    server = DebuggingServer(("127.0.0.1", args.port), None)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()


if __name__ == "__main__":
    start_simple_server()

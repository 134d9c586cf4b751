# Shape: a project's test helper: FakeSMTPServer(SMTPServer) with (*args, **kwargs)
# forwarded by name, a list of callbacks each given the parsed message, a 4-argument
# process_message (default decode_data) feeding data to email.parser.FeedParser, an
# asyncore_start() method with try/finally, run in a multiprocessing.Process.
import asyncore
import multiprocessing
import sys
from email.parser import FeedParser
from smtpd import SMTPServer

from _record import record


class FakeSMTPServer(SMTPServer):
    "SMTP server that will take a message and call listeners"

    def __init__(self, *args, **kwargs):
        SMTPServer.__init__(self, *args, **kwargs)
        self.callbacks = []

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        message = self._parse_message(data)
        for callback in self.callbacks:
            callback(message)

    def _parse_message(self, message):
        parser = FeedParser()
        parser.feed(message)
        return parser.close()

    def asyncore_start(self):
        try:
            asyncore.loop()
        finally:
            print("Stopping asyncore", flush=True)

    def add_callback(self, callback):
        "Callback that will receive the email tuple"
        self.callbacks.append(callback)


def show_subject(message):
    print("callback got", message["Subject"], flush=True)


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    server = FakeSMTPServer(("127.0.0.1", 0), None)
    server.add_callback(show_subject)
    process = multiprocessing.Process(target=server.asyncore_start)
    process.start()
    print(server.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
    process.terminate()
    process.join(10)
    print("server process ended", process.exitcode)

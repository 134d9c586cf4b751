# A runner object handed the server by a factory function: start() puts the loop on
# a thread, stop() closes the server it was given and joins; code reads the port through it.
import asyncore
import smtpd
import sys
import threading

from _record import record


class CollectServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


class Runner:
    def __init__(self, server, poll=0.05):
        self.server = server
        self.poll = poll
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": self.poll})
        self.thread.start()

    def stop(self):
        self.server.close()
        self.thread.join(10)


def serve_in_background(port):
    server = CollectServer(("127.0.0.1", port), None)
    runner = Runner(server)
    runner.start()
    return runner


if __name__ == "__main__":
    running = serve_in_background(0)
    print(running.server.socket.getsockname()[1], flush=True)
    sys.stdin.readline()  # the test closes stdin when its dialogues are done
    running.stop()
    print("stopped", not running.thread.is_alive(), flush=True)

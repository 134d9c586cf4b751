# Shape: a helper module for a web app's dev mode: a Threaded wrapper object running
# asyncore.loop on a thread, a factory function returning it around a DebuggingServer.
import asyncore
import smtpd
import sys
import threading


class Threaded:
    def __init__(self, smtp):
        self.smtp = smtp
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
        self.thread.start()

    def close(self):
        self.smtp.close()
        self.thread.join(10)


def debug_server(host, port):
    smtp = smtpd.DebuggingServer((host, port), None)
    return Threaded(smtp)


running = debug_server("127.0.0.1", 0)
print(running.smtp.socket.getsockname()[1], flush=True)
sys.stdin.readline()
running.close()
print("closed", not running.thread.is_alive(), flush=True)

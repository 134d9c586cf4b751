# Test helpers serving from threads whose target calls the loop itself:
# functools.partial(the loop, ...) with a generous pass count, and a lambda. Each is
# stopped by closing its server and joining its thread.
import asyncore
import functools
import smtpd
import sys
import threading

from _record import record


class Inbox(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("inbox", mailfrom, rcpttos, flush=True)


def warm_up():
    spare = Inbox(("127.0.0.1", 0), None)
    runner = threading.Thread(target=lambda: asyncore.loop(0.1), daemon=True)
    runner.start()
    spare.close()
    runner.join(10)
    return runner.is_alive()


def main():
    print("warm-up thread left running:", warm_up(), file=sys.stderr)
    inbox = Inbox(("127.0.0.1", 0), None)
    worker = threading.Thread(
        target=functools.partial(asyncore.loop, timeout=0.2, count=50000), daemon=True
    )
    worker.start()
    print(inbox.socket.getsockname()[1], flush=True)
    sys.stdin.readline()  # the test closes stdin when its dialogues are done
    inbox.close()
    worker.join(10)
    print("worker left running:", worker.is_alive(), flush=True)


main()

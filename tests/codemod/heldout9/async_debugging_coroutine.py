# Shape: a web app's "mail server stuff" module half-moved towards asyncio:
# AsyncDebuggingServer(smtpd.DebuggingServer) whose process_message is an `async def`
# (printing the peer, sender, recipients and the decoded data, returning "250 Message
# accepted for delivery"), so smtpd gets a coroutine object back instead of None or a
# string and fails to push it (the connection drops; Python warns the coroutine was never
# awaited); a Threaded(smtp) wrapper starting a daemon thread whose run_loop() calls
# asyncore.loop(timeout=1), with close() closing the server and joining; debug_server(
# host, port) returns Threaded(AsyncDebuggingServer((host, port), None)). (The dev runner
# waits for stdin to close, then closes.)
import asyncore
import smtpd
import sys
import threading

from _record import record


class AsyncDebuggingServer(smtpd.DebuggingServer):
    async def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("Receiving message from:", peer[0])
        print("From:", mailfrom)
        print("To:", rcpttos)
        print("Message data:\n")
        print(data.decode("utf8", errors="replace"))
        print("\nDone.")
        return "250 Message accepted for delivery"


class Threaded(object):  # noqa: UP004
    def __init__(self, smtp):
        self.smtp = smtp
        self.thread = threading.Thread(target=self.run_loop)
        self.thread.daemon = True  # Allow the main thread to exit
        self.thread.start()

    def run_loop(self):
        asyncore.loop(timeout=1)

    def close(self):
        self.smtp.close()
        self.thread.join()


def debug_server(host, port):
    smtp = AsyncDebuggingServer((host, port), None)
    return Threaded(smtp)


if __name__ == "__main__":
    server = debug_server("127.0.0.1", 0)
    print(server.smtp.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    server.close()
    print("closed")

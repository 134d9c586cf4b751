# A sink made global by its setup function, served by another function, and stopped by
# a SIGINT handler that closes it and raises SystemExit with the message count.
import asyncore
import signal
import smtpd

from _record import record

sink = None
seen = []


class TallySink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        seen.append(mailfrom)


def on_interrupt(signum, frame):
    sink.close()
    print("stopping after", len(seen), "messages", flush=True)
    raise SystemExit(0)


def setup(host):
    global sink
    sink = TallySink((host, 0), None)
    signal.signal(signal.SIGINT, on_interrupt)
    port = sink.socket.getsockname()[1]
    return port


def serve_forever():
    asyncore.loop(timeout=0.5)


if __name__ == "__main__":
    print(setup("127.0.0.1"), flush=True)
    serve_forever()

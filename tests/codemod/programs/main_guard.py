# A sink whose start-up lives under the __main__ guard, the loop with use_poll.
import asyncore
import smtpd

from _record import record


class GuardedSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


if __name__ == "__main__":
    sink = GuardedSink(("127.0.0.1", 0), None)
    print(sink.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop(timeout=1, use_poll=True)
    except KeyboardInterrupt:
        sink.close()

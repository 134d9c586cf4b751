# A test sink made by a helper that keeps nothing (its port printed there), served by the
# loop its caller runs next: smtpd's map held it; converted, it starts where it is made.
import asyncore
import smtpd

from _record import record


class Recorder(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


def start_sink(port):
    sink = Recorder(("127.0.0.1", port), None)
    print(sink.socket.getsockname()[1], flush=True)


def main():
    start_sink(0)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("stopped")


if __name__ == "__main__":
    main()

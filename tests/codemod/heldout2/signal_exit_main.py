# Shape: a standalone mail sink script: a module-level server built in main(), a SIGINT
# handler that prints, closes the server and calls sys.exit(0), a **kwargs
# process_message printing the envelope and the message with DebuggingServer-like lines.
import asyncore
import signal
import smtpd
import sys

from _record import record

server = None


class EchoServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("=" * 20, "message", "=" * 20)
        print("From:", mailfrom)
        print("To:", rcpttos)
        print(data.decode("utf-8", errors="ignore"))
        print("=" * 49)


def shutdown(signum, frame):
    print("caught signal", signum)
    server.close()
    sys.exit(0)


def main():
    global server
    server = EchoServer(("127.0.0.1", 0), None)
    signal.signal(signal.SIGINT, shutdown)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()


if __name__ == "__main__":
    main()

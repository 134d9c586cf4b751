# Shape: a dev machine's "fake SMTP server" script in the noddy-fake-server family, with a
# module-level argparse parser (positional port "1587 is recommended", -b/--bind host
# defaulting to localhost); FakeSMTPServer(smtpd.SMTPServer) whose __init__(*args,
# **kwargs) has self hidden in args, prints a start-up line that always names port 1587
# whatever was given, then calls smtpd.SMTPServer.__init__(*args, **kwargs); a
# process_message(*args, **kwargs) that only passes; the main block parses the arguments,
# builds the server and wraps asyncore.loop() in try/except KeyboardInterrupt closing it.
# (Run as `fake_smtp.py 0 -b 127.0.0.1` when given no arguments; the real port is printed
# once the server is built.)
import argparse
import asyncore
import smtpd
import sys

from _record import record

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int, help="PORT (1587 is recommended)")
parser.add_argument("-b", "--bind", help="Host address",
                    action="store", default="localhost")


class FakeSMTPServer(smtpd.SMTPServer):
    """A Fake smtp server"""

    def __init__(*args, **kwargs):
        print("Running fake smtp server on port 1587")
        smtpd.SMTPServer.__init__(*args, **kwargs)

    def process_message(*args, **kwargs):
        record(*args[1:], **kwargs)
        pass


if __name__ == "__main__":
    args = parser.parse_args(sys.argv[1:] or ["0", "-b", "127.0.0.1"])
    smtp_server = FakeSMTPServer((args.bind, args.port), None)
    print(smtp_server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        smtp_server.close()

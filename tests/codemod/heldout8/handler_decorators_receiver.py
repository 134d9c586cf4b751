# Shape: a club's mail-list receiver built on smtpd with lamson leftovers:
# logging.basicConfig(level=DEBUG) at import, a module-level HANDLERS list filled by two
# decorators (@handle_all for whole messages, @handle_each for each route_to address),
# SMTPReceiver(smtpd.SMTPServer) with __init__(host, port) storing both and calling
# super(SMTPReceiver, self).__init__((host, port), None), a 4-argument process_message with
# capitalised parameters (Peer, From, To, Data; default decode_data: TypeError on every
# message under Python 3) that would run every handler in a bare try/except and report
# failures; main() with argparse (--listen host:port validated by a function, --relay,
# --log which swaps HANDLERS for a verbose printer) that starts
# Thread(target=asyncore.loop, kwargs={'timeout': 0.1, 'use_poll': True}) and returns,
# leaving that non-daemon thread to keep the program alive until Ctrl+C.
# (Run as `receiver.py --listen 127.0.0.1:0 --log`: relay mode needs lamson.)
import argparse
import asyncore
import datetime
import email
import logging
import smtpd
import sys
import threading
import traceback

from _record import record

logging.basicConfig(level=logging.DEBUG)

HANDLERS = []


def handle_each(f):
    """Decorator: the function handles each address a message is routed to."""

    def f_all(message):
        for route_to in message.get_all("To", []):
            address, host = route_to.split("@")
            f(message, address, host)

    HANDLERS.append(f_all)
    return f


def handle_all(f):
    "Decorator to indicate that the function handles an envelope."
    HANDLERS.append(f)
    return f


@handle_all
def save_message(message):
    print("saving", message["Subject"])


@handle_each
def handle(message, address, host):
    pass


def verbose_log(message):
    "Message handler for --log mode"
    now = datetime.datetime.now().strftime(" %Y-%m-%d %H:%M:%S ")
    print(now.center(79, "="))
    print(str(message))
    return True


def handle_error(message, handled, exceptions):
    print("An error occurred: %s handlers handled the message" % len(handled))
    for handler, exn in exceptions:
        print("Handler %s threw the exception:\n%s"
              % (handler.__name__, "".join(traceback.format_exception(*exn))))


class SMTPReceiver(smtpd.SMTPServer):
    def __init__(self, host, port):
        self.host = host
        self.port = port
        super(SMTPReceiver, self).__init__((self.host, self.port), None)  # noqa: UP008

    def process_message(self, Peer, From, To, Data):
        record(Peer, From, To, Data)
        logging.debug("Message received from Peer: %r, From: %r, to To %r." % (Peer, From, To))
        message = email.message_from_string(Data)
        handled = []
        exceptions = []
        for h in HANDLERS:
            try:
                if h(message):
                    handled.append(h)
            except Exception:
                exceptions.append((h, sys.exc_info()))
        if not handled or exceptions:
            handle_error(message, handled, exceptions)


def validate_address(v):
    host, port = v.split(":")
    port = int(port)
    return host, port


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=validate_address, default=("0.0.0.0", 9000))
    parser.add_argument("--relay", type=validate_address, default=("127.0.0.1", 25))
    parser.add_argument("--log", action="store_true")
    args = parser.parse_args(argv)

    receiver_host, receiver_port = args.listen
    receiver = SMTPReceiver(receiver_host, int(receiver_port))
    print(receiver.socket.getsockname()[1], flush=True)

    if args.log:
        HANDLERS[:] = [verbose_log]

    poller = threading.Thread(
        target=asyncore.loop,
        kwargs={"timeout": 0.1, "use_poll": True})
    poller.start()


if __name__ == "__main__":
    main(sys.argv[1:] or ["--listen", "127.0.0.1:0", "--log"])

# A DebuggingServer under a name of its own (a docstring, nothing else), started by a
# function with decode_data=True: it prints each message as smtpd did.
import asyncore
import smtpd


class MailPrinter(smtpd.DebuggingServer):
    """Prints every message it receives."""


def serve(host):
    printer = MailPrinter((host, 0), None, decode_data=True)
    print(printer.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("stopped", flush=True)


if __name__ == "__main__":
    serve("127.0.0.1")

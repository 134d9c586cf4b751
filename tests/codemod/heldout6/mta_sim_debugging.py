# Shape: a spam-filtering course project's simulator: `import smtpd` twice, a
# MessageTransferAgentServer(smtpd.DebuggingServer) whose __init__ only calls
# super(MessageTransferAgentServer, self).__init__ and whose process_message(**kwargs)
# prints TODO lines instead of calling the base (the DebuggingServer prints nothing);
# argparse picks "server" or "client" mode; the server mode builds it from a config
# module's address and runs a bare asyncore.loop(); the client mode would send mail with
# smtplib. (The config module is a local class; the port is 0.)
import argparse
import asyncore
import smtpd  # noqa: F811
import smtplib
import sys

from _record import record


class config:
    MTA_HOST = "127.0.0.1"
    MTA_PORT = 0


class MessageTransferAgentServer(smtpd.DebuggingServer):
    def __init__(self, localaddr, remoteaddr):
        super(MessageTransferAgentServer, self).__init__(localaddr, remoteaddr)  # noqa: UP008

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("TODO - Store user email in mailboxes")
        print("TODO - Log event")
        print("TODO - Mailboxes need to be read")


def run_server(addr):
    server = MessageTransferAgentServer(addr, None)
    print(server.socket.getsockname()[1], flush=True)
    print("MTA listening", file=sys.stderr)
    asyncore.loop()


def run_client(addr):
    with smtplib.SMTP(*addr) as client:
        client.sendmail("spammer@example.com", ["bob@example.com"], "Subject: hi\n\nbuy")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["server", "client"], nargs="?", default="server")
    args = parser.parse_args()
    if args.mode == "server":
        run_server((config.MTA_HOST, config.MTA_PORT))
    else:
        run_client((config.MTA_HOST, config.MTA_PORT))

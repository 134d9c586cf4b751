# Shape: an interactive test mail server with a command prompt: ConsoleServer(
# smtpd.SMTPServer) built with decode_data=True and a 4-argument process_message that
# keeps (sender, recipients, subject) in a list; the main loop select()s on sys.stdin
# with a short timeout and runs asyncore.loop(timeout=0.1, count=1) between reads;
# commands "list", "clear" and "quit" (end of input also quits), then the server is closed
# and asyncore.close_all() called. (Stopped by closing stdin.)
import asyncore
import select
import smtpd
import sys

from _record import record


class ConsoleServer(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.inbox = []

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        subject = ""
        for line in data.split("\n"):
            if not line:
                break
            if line.lower().startswith("subject:"):
                subject = line[8:].strip()
        self.inbox.append((mailfrom, rcpttos, subject))
        print("new mail #%d from %s" % (len(self.inbox), mailfrom))


def main():
    server = ConsoleServer(("127.0.0.1", 0), None, decode_data=True)
    print(server.socket.getsockname()[1], flush=True)
    running = True
    while running:
        ready, _, _ = select.select([sys.stdin], [], [], 0.05)
        if ready:
            command = sys.stdin.readline()
            if not command or command.strip() == "quit":
                running = False
            elif command.strip() == "list":
                for n, (sender, rcpts, subject) in enumerate(server.inbox, 1):
                    print(n, sender, rcpts, subject)
            elif command.strip() == "clear":
                server.inbox = []
        asyncore.loop(timeout=0.1, count=1)
    print("quitting with %d message(s)" % len(server.inbox))
    for sender, rcpts, subject in server.inbox:
        print(" ", sender, "->", ",".join(rcpts), "|", subject)
    server.close()
    asyncore.close_all()


if __name__ == "__main__":
    main()

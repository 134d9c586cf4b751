# Shape: a honeypot-ish sink that hangs up on scanners: StrictChannel(smtpd.SMTPChannel)
# overriding push() to count the 5xx replies it sends (then the base push) and, once
# MAX_ERRORS is reached, to push "421 Too many errors, closing connection" and call
# close_when_done(); StrictServer(smtpd.SMTPServer) sets channel_class in its __init__
# after calling the base by name, and has a **kwargs process_message writing one line per
# message to captured.txt next to the script; asyncore.loop() in try/except
# KeyboardInterrupt that prints "bye".
import asyncore
import os
import smtpd

from _record import record

MAX_ERRORS = 4
HERE = os.path.dirname(os.path.abspath(__file__))


class StrictChannel(smtpd.SMTPChannel):
    errors = 0

    def push(self, msg):
        smtpd.SMTPChannel.push(self, msg)
        if msg[:1] == "5":
            self.errors += 1
            if self.errors == MAX_ERRORS:
                smtpd.SMTPChannel.push(self, "421 Too many errors, closing connection")
                self.close_when_done()


class StrictServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.channel_class = StrictChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        with open(os.path.join(HERE, "captured.txt"), "a") as f:
            f.write("%s %s %d\n" % (mailfrom, " ".join(rcpttos), len(data)))


if __name__ == "__main__":
    server = StrictServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("bye")

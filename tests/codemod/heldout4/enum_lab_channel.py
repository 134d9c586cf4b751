# Shape: a scanning lab's target services: warnings silenced, a MAILBOXES set, a Channel
# whose smtp_VRFY answers 252 or a Postfix-like 550 from the set, smtp_EXPN always 502,
# smtp_RCPT refusing unknown local parts (550) before calling super(); a sink server with
# that channel_class and a **kwargs process_message; the SMTP loop on a daemon thread
# while the main thread waits (the lab's other stand-in services run there).
import asyncore
import smtpd
import threading
import warnings

from _record import record

warnings.filterwarnings("ignore")
MAILBOXES = {"root", "postmaster", "admin", "alice", "bob", "carol", "ops"}


class Channel(smtpd.SMTPChannel):
    def smtp_VRFY(self, arg):
        user = arg.strip().strip("<>").split("@")[0].lower()
        self.push(
            "252 2.0.0 %s" % arg
            if user in MAILBOXES
            else "550 5.1.1 <%s>: Recipient address rejected: User unknown" % user
        )

    def smtp_EXPN(self, arg):
        self.push("502 5.5.1 EXPN not supported")

    def smtp_RCPT(self, arg):
        addr = (
            arg[3:].strip().strip("<>").split("@")[0].lower()
            if arg.upper().startswith("TO:")
            else ""
        )
        if addr and addr not in MAILBOXES:
            self.push("550 5.1.1 <%s>: Recipient address rejected: User unknown" % addr)
            return
        super().smtp_RCPT(arg)


class Sink(smtpd.SMTPServer):
    channel_class = Channel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("accepted mail for", ", ".join(rcpttos))


def main():
    smtp = Sink(("127.0.0.1", 0), None)
    threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.5}, daemon=True).start()
    print(smtp.socket.getsockname()[1], flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()

# Shape: a disposable-address rewriting service: a **kwargs process_message that calls
# a module-level handle_mail() inside a bare try/except printing 'Undefined exception'
# and returns nothing; handle_mail looks each recipient up in an alias table and passes
# the rewritten message on (sendmail to a local reinjection port in real life).
import asyncore
import email
import smtpd

from _record import record

ALIASES = {
    "bob@example.com": "robert@example.org",
    "carol@example.com": "caroline@example.org",
}


def forward(addr_from, addr_tos, data):
    # The real service reinjects with smtplib.SMTP("localhost", 10026).sendmail(...).
    with open("reinjected.txt", "a") as out:
        out.write("MAIL FROM:%s RCPT TO:%s\n%s\n.\n" % (addr_from, ",".join(addr_tos), data))


def handle_mail(mailfrom, rcpttos, data):
    targets = [ALIASES[rcpt.lower()] for rcpt in rcpttos]
    message = email.message_from_bytes(data)
    message["X-Original-To"] = ", ".join(rcpttos)
    forward(mailfrom, targets, message.as_string())
    print("forwarded", mailfrom, "->", targets)


class DisposableRewriteSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        try:
            handle_mail(mailfrom, rcpttos, data)
        except Exception:
            print("Undefined exception")
        return


def main():
    server = DisposableRewriteSMTPServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("shutting down")


if __name__ == "__main__":
    main()

# Shape: a bulk-mail guard in front of a CRM: GuardChannel(smtpd.SMTPChannel) overriding
# smtp_DATA to refuse an envelope with more than MAX_RCPTS recipients ("554 5.5.3 Too many
# recipients", reading the channel's rcpttos) and to call the base otherwise, and
# smtp_RCPT to log each accepted address after the base; GuardServer(smtpd.SMTPServer)
# with channel_class, a __init__(host, port) calling the base with decode_data=True and a
# 4-argument process_message that prints the subject line via email.message_from_string;
# main() loops with asyncore.loop() in try/except KeyboardInterrupt, closing the server.
import asyncore
import email
import smtpd

from _record import record

MAX_RCPTS = 3


class GuardChannel(smtpd.SMTPChannel):
    def smtp_RCPT(self, arg):
        before = len(self.rcpttos)
        smtpd.SMTPChannel.smtp_RCPT(self, arg)
        if len(self.rcpttos) > before:
            print("rcpt ok:", self.rcpttos[-1])

    def smtp_DATA(self, arg):
        if len(self.rcpttos) > MAX_RCPTS:
            self.push("554 5.5.3 Too many recipients")
            return
        smtpd.SMTPChannel.smtp_DATA(self, arg)


class GuardServer(smtpd.SMTPServer):
    channel_class = GuardChannel

    def __init__(self, host, port):
        smtpd.SMTPServer.__init__(self, (host, port), None, decode_data=True)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        msg = email.message_from_string(data)
        print("accepted %r for %d recipient(s)" % (msg["Subject"], len(rcpttos)))


def main():
    server = GuardServer("127.0.0.1", 0)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        server.close()


if __name__ == "__main__":
    main()

# Shape: a training-range scenario's "leaky" mail server: a CustomSMTPChannel whose
# smtp_VRFY pushes bytes replies (a fake service account's credentials for one address,
# 550 otherwise), set as channel_class on a **kwargs server that prints what it got;
# module-level server and a bare loop.
import asyncore
import smtpd

from _record import record


class CustomSMTPChannel(smtpd.SMTPChannel):
    """Custom channel that hands out backup credentials via VRFY."""

    def smtp_VRFY(self, arg):
        arg_lower = (arg or "").lower().strip()
        if "backup@corp.example" in arg_lower:
            self.push(
                b"252 2.5.4 <backup@corp.example> [Share: \\\\files\\backup / Pass: Winter2019]\r\n"
            )
        else:
            self.push(b"550 5.1.1 User unknown\r\n")


class CustomSMTPServer(smtpd.SMTPServer):
    channel_class = CustomSMTPChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("mail from", mailfrom, "to", rcpttos)
        return


server = CustomSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

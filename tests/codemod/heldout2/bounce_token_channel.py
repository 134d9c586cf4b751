# Shape: a newsletter bounce receiver: a channel subclass that only changes self.fqdn after
# the base __init__ (the name shown in HELO/EHLO), set as channel_class; a 4-argument
# process_message with the default decode_data printing the PyMOTW lines, then looking
# a token up from the first recipient's local part.
import asyncore
import smtpd

from _record import record

BOUNCE_TOKENS = {"bob": "campaign-7", "carol": "campaign-9"}


class ModifiedHeloSMTPChannel(smtpd.SMTPChannel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fqdn = "bounces.lists.example"


class BounceServer(smtpd.SMTPServer):
    channel_class = ModifiedHeloSMTPChannel

    def process_message(self, peer, mailfrom, rcpttos, data):
        print("Receiving message from:", peer[0])
        print("Message addressed from:", mailfrom)
        print("Message addressed to  :", rcpttos)
        print("Message length        :", len(data))
        record(peer, mailfrom, rcpttos, data)
        local = rcpttos[0].split("@")[0]
        token = BOUNCE_TOKENS.get(local)
        if token is None:
            print("no bounce token for", local)
            return
        print("bounce recorded for", token)


server = BounceServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("done")

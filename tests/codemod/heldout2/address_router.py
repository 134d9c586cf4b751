# Shape: a mail-to-app router: recipients parsed with email.utils.parseaddr, a dict of
# handler functions by local part, and process_message returning whatever the chosen
# application handler returns (None for 250, an error string otherwise).
import asyncore
import email.utils
import smtpd

from _record import record


def support_ticket(mailfrom, data):
    print("ticket opened by", mailfrom)


def billing(mailfrom, data):
    if b"invoice" not in data.lower():
        return "451 4.3.0 billing queue busy, try later"
    print("invoice from", mailfrom)


ROUTES = {"bob": support_ticket, "carol": billing, "boom": billing}


class RoutingServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        _, address = email.utils.parseaddr(rcpttos[0])
        local = address.split("@")[0].lower()
        handler = ROUTES.get(local)
        if handler is None:
            return "550 5.1.1 <%s>: no route" % address
        return handler(mailfrom, data)


server = RoutingServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()

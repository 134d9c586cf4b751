# Shape: a security-course "password recovery" mail robot: module-level globals computed at
# import (mydomain from platform.node(), an accepted address and a magic recipient built
# from it, a password, an outgoing mail server), MySMTP(smtpd.SMTPServer) with an
# __init__(localaddr, remoteaddr) that only calls the base by name, and a 4-argument
# process_message (default decode_data: TypeError on every message under Python 3) that
# would check the magic recipient and call a module-level send_password(mailfrom, data),
# which parses the data with email.message_from_string, picks Reply-To over From and
# answers with smtplib; server built at module level and a bare asyncore.loop().
# (The recovery address is on example.com here so that the dialogues reach it; the
# outgoing server is a name that is never contacted since the method never runs.)
import asyncore
import email
import platform
import smtpd
import smtplib
from email.mime.text import MIMEText

from _record import record

mydomain = platform.node() or "localhost"
acceptedaddr = "alice@example.com"
sentto = "bob@example.com"
passwd = "baz"
mailserver = "smtp.invalid"


class MySMTP(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        if sentto in rcpttos:
            # it was sent to the right address
            send_password(mailfrom, data)


def send_password(mailfrom, data):
    message = email.message_from_string(data)
    # set the response
    if "From" in message and acceptedaddr in message["From"]:
        response = "Thank you for using the Woozits password recovery\n" + \
            "Service. Your password is %s" % passwd
    else:
        response = "Account not Found"

    # set the "to" addr
    if "Reply-To" in message:
        to = message["Reply-To"]
    else:
        to = mailfrom
    reply = MIMEText(response)
    reply["Subject"] = "Password recovery"
    reply["From"] = "password-recovery@%s" % mydomain
    reply["To"] = to
    s = smtplib.SMTP(mailserver)
    s.sendmail(reply["From"], [to], reply.as_string())
    s.quit()


server = MySMTP(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

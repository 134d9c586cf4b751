# Shape: a networking-course exercise "mail server with a simulated DNS": a module-level
# domainTable {'rivendell.com': ['127.0.0.2', 1026]} standing for DNS, a global
# destination, a DNSrequest(domain) helper (never called), and CustomsSMTPServer(
# smtpd.SMTPServer) whose process_message spells out mail_options=None,
# rcpt_options=None, prints the peer, sender, recipients, length and the raw data with
# str.format and f-strings, takes the first recipient's domain, prints
# domainTable[destination] (a KeyError for any domain not in the table) and would
# relay the message with smtplib.SMTP(host, port).sendmail() to the other group's
# server; module-level server on ("127.0.0.1", 1025), a "server running" print and a
# bare asyncore.loop(). (Port 0; the peer is printed without its port; the other
# group's server is never reached by the standard dialogues.)
import asyncore  # multiple connections
import smtpd  # the server library
import smtplib

from _record import record

# table standing in for DNS
domainTable = {"rivendell.com": ["127.0.0.2", 1026]}
destination = None


# simulates a DNS request; returns 'Not Found' when the domain is unknown
def DNSrequest(domain):
    return domainTable.get(domain, "Not Found")


# subclass overriding the message handler
class CustomsSMTPServer(smtpd.SMTPServer):

    # message handler
    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None,
                        rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options,
               rcpt_options=rcpt_options)
        print("Message sent from IP {}".format(peer[0]))  # noqa: UP032
        print("Message sent by {}".format(mailfrom))  # noqa: UP032
        print("Message addressed to {}".format(rcpttos))  # noqa: UP032
        print("Message length: {}".format(len(data)))  # noqa: UP032
        print(f"{data}")
        destination = rcpttos[0]
        destination = destination[destination.find("@") + 1:]
        print(destination)
        print(domainTable[destination])

        if destination is not None:
            print("DESTINATION ACQUIRED!!!")
            server_to = smtplib.SMTP(domainTable[destination][0], domainTable[destination][1])
            server_to.sendmail(mailfrom, rcpttos, data)


server = CustomsSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)

print("Server running")
asyncore.loop()  # loops to accept several connections

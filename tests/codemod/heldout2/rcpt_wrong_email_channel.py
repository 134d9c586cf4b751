# Shape: an application's mailing tests: a channel whose smtp_RCPT checks the server's
# wrong_email with re.findall on the raw argument (550, else the base), whose smtp_EHLO
# answers AUTH lines only when the server asks for them (else the base), class-level
# server settings, and a TestCase-like start(port)/stop() around a loop thread.
import asyncore
import re
import smtpd
import sys
import threading

from _record import record


class TestSMTPChannel(smtpd.SMTPChannel):
    def smtp_EHLO(self, arg):
        if self.smtp_server.with_authentificate:
            if not arg:
                self.push("501 Syntax: EHLO hostname")
            else:
                self.seen_greeting = arg
                self.extended_smtp = True
                self.push("250-%s" % self.fqdn)
                self.push("250-AUTH LOGIN PLAIN")
                self.push("250 EHLO")
        else:
            smtpd.SMTPChannel.smtp_EHLO(self, arg)

    def smtp_RCPT(self, arg):
        if self.smtp_server.wrong_email is not None:
            address = re.findall(r"^TO:<(.*)>$", arg)
            if len(address) == 0:
                self.push("501 Syntax: RCPT TO: <address>")
                return
            if self.smtp_server.wrong_email in address:
                self.push("550 Bad <address> : %s" % self.smtp_server.wrong_email)
                return
        smtpd.SMTPChannel.smtp_RCPT(self, arg)


class TestSMTPServer(smtpd.SMTPServer):
    channel_class = TestSMTPChannel
    emails = []
    with_authentificate = False
    wrong_email = None

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.emails.append((peer, mailfrom, rcpttos, data))


class TestReceiver:
    def start(self, port):
        TestSMTPServer.wrong_email = "nobody@example.com"
        self.smtp = TestSMTPServer(("127.0.0.1", port), None)
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
        self.thread.start()

    def stop(self):
        self.smtp.close()
        self.thread.join(10)

    def count(self):
        return len(self.smtp.emails)


receiver = TestReceiver()
receiver.start(0)
print(receiver.smtp.socket.getsockname()[1], flush=True)
sys.stdin.readline()
receiver.stop()
print("emails", receiver.count())

# Shape: a tiny "this system does not relay" sink module (Python 2 era, tab-indented): a
# channel subclass deliberately named SMTPChannel(smtpd.SMTPChannel) whose smtp_RCPT is
# a copy of Python 2's, reading self.__mailfrom and calling self.__getaddr('TO:', arg)
# (inside a class named SMTPChannel these mangle to smtpd's own _SMTPChannel__ names:
# 3.11 still has a deprecated _SMTPChannel__mailfrom alias, but no _SMTPChannel__getaddr,
# so a RCPT after MAIL raises AttributeError and asyncore drops the connection), and
# always answers "501 This system is not configured to relay mail"; a server class named
# SMTPServer(smtpd.SMTPServer) whose handle_accept does conn, addr = self.accept() and
# builds the channel by hand; a 4-argument process_message that passes. (Started here
# with a module-level server and a bare asyncore.loop().)
import asyncore
import smtpd


class SMTPChannel(smtpd.SMTPChannel):
    def smtp_RCPT(self, arg):
        if not self.__mailfrom:
            self.push("503 Error: need MAIL command")
            return
        address = self.__getaddr("TO:", arg)
        if not address:
            self.push("501 Syntax: RCPT TO: <address>")
            return
        self.push("501 This system is not configured to relay mail")


class SMTPServer(smtpd.SMTPServer):
    def handle_accept(self):
        conn, addr = self.accept()
        channel = SMTPChannel(self, conn, addr)  # noqa: F841

    def process_message(self, peer, mailfrom, rcpttos, data):
        pass


server = SMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

# Shape: a mail client's built-in SMTP daemon plugin: a subclass deliberately named
# SMTPChannel with __init__(session, *args, **kwargs) that forwards to the base and then
# sets the name-mangled self.__fqdn ("lie" about the host), a push() override replacing the
# 220 greeting with an old Sendmail banner, smtp_MAIL/smtp_RCPT re-implemented on the mangled
# self.__mailfrom/self.__rcpttos (one recipient at a time: 553), smtp_DATA refusing spam
# with 450, collect_incoming_data size check on self.__line; a server class also named
# SMTPServer(session, localaddr, **kwargs) whose handle_accept builds the channel with the
# session first; a 4-argument process_message (default decode_data) that parses with
# Parser().parsestr in a bare try/except returning "400 Oops"; an SMTPWorker Thread whose
# run() builds the server and calls asyncore.poll(timeout=1.0) until quitting, then
# asyncore.close_all(); quit(join=True).
import asyncore
import email.parser
import smtpd
import sys
import threading
import traceback

from _record import record


class Session:
    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.spooled = []


class SMTPChannel(smtpd.SMTPChannel):
    MAX_MESSAGE_SIZE = 1024 * 1024 * 50

    def __init__(self, session, *args, **kwargs):
        smtpd.SMTPChannel.__init__(self, *args, **kwargs)
        self.session = session
        # Lie about who we are.
        self.__fqdn = "mail.example.edu"
        self.too_much_data = False
        self.is_spam = False

    def _is_dangerous_address(self, address):
        return False  # FIXME

    def _is_spam_address(self, address):
        return False  # FIXME

    def push(self, msg):
        if msg.startswith("220"):
            smtpd.SMTPChannel.push(self, ("220 mail.example.edu SMTP "
                                          "Sendmail 5.67; Wed, 2 Nov 1988 20:49"))
        else:
            smtpd.SMTPChannel.push(self, msg)

    def _address_ok(self, address):
        if self._is_dangerous_address(address):
            self.is_spam = True
        elif self._is_spam_address(address):
            self.is_spam = True
        return True

    def smtp_MAIL(self, arg):
        address = self._getaddr(self._strip_command_keyword("FROM:", arg))[0] if arg else None
        if not address:
            self.push("501 Syntax: MAIL FROM:<address>")
            return
        if self.__mailfrom:
            self.push("503 Error: nested MAIL command")
            return
        if self._address_ok(address):
            self.__mailfrom = address
            self.mail_options = []
            self.push("250 Ok")

    def smtp_RCPT(self, arg):
        if not self.__mailfrom:
            self.push("503 Error: need MAIL command")
            return
        address = self._getaddr(self._strip_command_keyword("TO:", arg))[0] if arg else None
        if not address:
            self.push("501 Syntax: RCPT TO: <address>")
            return
        if len(self.__rcpttos) > 0:
            self.push("553 One mail at a time, please")
            return
        if self._address_ok(address) and not self.is_spam:
            self.rcpt_options = []
            self.__rcpttos.append(address)
            self.push("250 Ok")

    def smtp_DATA(self, arg):
        if self.is_spam:
            self.push("450 I don't like spam!")
        else:
            smtpd.SMTPChannel.smtp_DATA(self, arg)

    def collect_incoming_data(self, data):
        if self.__line and sum(len(x) for x in self.__line) > self.MAX_MESSAGE_SIZE:
            self.push("552 Error: too much data")
            self.close_when_done()
        else:
            smtpd.SMTPChannel.collect_incoming_data(self, data)


class SMTPServer(smtpd.SMTPServer):
    def __init__(self, session, localaddr, **kwargs):
        self.session = session
        smtpd.SMTPServer.__init__(self, localaddr, None)

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            channel = SMTPChannel(self.session, self, conn, addr)  # noqa: F841

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        session = self.session
        try:
            message = email.parser.Parser().parsestr(data)
            session.spooled.append(message["subject"])
            print("spooled:", message["subject"])
            return None
        except:  # noqa: E722
            traceback.print_exc()
            return "400 Oops wtf"


class SMTPWorker(threading.Thread):
    def __init__(self, session):
        self.session = session
        self.quitting = False
        self.ready = threading.Event()
        threading.Thread.__init__(self)

    def run(self):
        cfg = self.session
        if cfg.host and cfg.port is not None:
            self.server = SMTPServer(self.session, (cfg.host, cfg.port))
            self.ready.set()
            while not self.quitting:
                asyncore.poll(timeout=1.0)
            asyncore.close_all()

    def quit(self, join=True):
        self.quitting = True
        if join:
            try:
                self.join()
            except RuntimeError:
                pass


if __name__ == "__main__":
    worker = SMTPWorker(Session("127.0.0.1", 0))
    worker.start()
    worker.ready.wait(10)
    print(worker.server.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    worker.quit()
    print("spooled %d messages" % len(worker.session.spooled))

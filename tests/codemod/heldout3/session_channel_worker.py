# Shape: a mail client's built-in SMTP daemon plugin: a channel named SMTPChannel taking
# (session, *args, **kwargs), push() replacing the 220 greeting with a fake banner,
# smtp_RCPT re-implemented with the name-mangled __mailfrom/__rcpttos (and the private
# address helpers) and a "one mail at a time" rule, collect_incoming_data with a size
# cap; a server (session, localaddr) whose handle_accept builds it; a worker Thread polling
# asyncore.poll(timeout) until quitting, then asyncore.close_all().
import asyncore
import email.parser
import smtpd
import sys
import threading
import traceback

from _record import record


class SMTPChannel(smtpd.SMTPChannel):
    MAX_MESSAGE_SIZE = 1024 * 1024 * 50

    def __init__(self, session, *args, **kwargs):
        smtpd.SMTPChannel.__init__(self, *args, **kwargs)
        self.session = session
        self.is_spam = False

    def push(self, msg):
        if msg.startswith("220"):
            # No reason to tell everyone the real host name and version.
            smtpd.SMTPChannel.push(self, "220 cs.utah.edu SMTP Sendmail 5.67")
        else:
            smtpd.SMTPChannel.push(self, msg)

    def _address_ok(self, address):
        if address.lower().endswith("@spam.example"):
            self.is_spam = True
        return True

    def smtp_RCPT(self, arg):
        if not self.__mailfrom:
            self.push("503 Error: need MAIL command")
            return
        # Python 2's self.__getaddr("TO:", arg) became these two helpers in Python 3.
        address, params = self._getaddr(self._strip_command_keyword("TO:", arg or ""))
        if not address:
            self.push("501 Syntax: RCPT TO: <address>")
            return
        if len(self.__rcpttos) > 0:
            self.push("553 One mail at a time, please")
            return
        if self._address_ok(address) and not self.is_spam:
            self.__rcpttos.append(address)
            self.rcpt_options = params.upper().split()  # read by found_terminator
            self.push("250 Ok")

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
            SMTPChannel(self.session, self, conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        try:
            message = email.parser.BytesParser().parsebytes(data)
            self.session.append((mailfrom, rcpttos, str(message["Subject"])))
            return None
        except Exception:
            traceback.print_exc()
            return "400 Oops wtf"


class SMTPWorker(threading.Thread):
    def __init__(self, session):
        self.session = session
        self.quitting = False
        self.ready = threading.Event()
        threading.Thread.__init__(self)

    def run(self):
        self.server = SMTPServer(self.session, ("127.0.0.1", 0))
        self.ready.set()
        while not self.quitting:
            asyncore.poll(timeout=0.1)
        asyncore.close_all()

    def quit(self, join=True):
        self.quitting = True
        if join:
            self.join(10)


if __name__ == "__main__":
    index = []
    worker = SMTPWorker(index)
    worker.start()
    worker.ready.wait(10)
    print(worker.server.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
    worker.quit()
    for entry in index:
        print("indexed", entry)

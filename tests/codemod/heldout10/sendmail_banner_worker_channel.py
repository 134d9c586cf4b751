# Shape: a mail client's local SMTP daemon plugin: a channel class named SMTPChannel
# (smtpd.SMTPChannel) whose __init__(session, *args, **kwargs) calls the base by name,
# keeps the session and sets self.__fqdn (smtpd's deprecated _SMTPChannel__fqdn alias,
# so HELO/EHLO answer with a made-up host); push() swaps any 220 greeting for a fixed
# 1988 Sendmail banner; collect_incoming_data answers 552 and closes once the collected
# lines (the mangled __line alias) pass a size cap, else calls the base; a server class
# named SMTPServer whose __init__(session, localaddr, **kwargs) keeps the session and
# calls the base by name, a Py2-style handle_accept() building the channel with the
# session and the server's _decode_data, and a 4-argument process_message (the worker
# passes decode_data=True) that parses and indexes the message, returning '400 Oops' on
# failure; SMTPWorker(threading.Thread) polls asyncore.poll(timeout=...) until quitting,
# then asyncore.close_all().
# (The app runs the worker until stdin closes, then quit() joins it.)
import asyncore
import email.parser
import smtpd
import sys
import threading
import traceback

from _record import record


class Session:
    def __init__(self, config):
        self.config = config
        self.index = []
        self.ready = threading.Event()
        self.port = None


class SMTPChannel(smtpd.SMTPChannel):
    MAX_MESSAGE_SIZE = 1024 * 1024 * 50

    def __init__(self, session, *args, **kwargs):
        smtpd.SMTPChannel.__init__(self, *args, **kwargs)
        self.session = session
        # Lie lie lie lie...
        self.__fqdn = "cs.utah.example"
        self.too_much_data = False

    def push(self, msg):
        if msg.startswith("220"):
            # These days it is no longer reasonable to tell everyone your
            # hostname and version number.
            smtpd.SMTPChannel.push(self, ("220 cs.utah.example SMTP "
                                          "Sendmail 5.67; "
                                          "Wed, 2 Nov 1988 20:49"))
        else:
            smtpd.SMTPChannel.push(self, msg)

    def collect_incoming_data(self, data):
        if (self.__line and
                sum(len(line) for line in self.__line) > self.MAX_MESSAGE_SIZE):
            self.push("552 Error: too much data")
            self.close_when_done()
        else:
            smtpd.SMTPChannel.collect_incoming_data(self, data)


class SMTPServer(smtpd.SMTPServer):
    def __init__(self, session, localaddr, **kwargs):
        self.session = session
        smtpd.SMTPServer.__init__(self, localaddr, None, **kwargs)

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            SMTPChannel(self.session, self, conn, addr,
                        decode_data=self._decode_data)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        try:
            message = email.parser.Parser().parsestr(data)
            self.session.index.append((mailfrom, tuple(rcpttos), message["Subject"]))
            return None
        except Exception:
            traceback.print_exc()
            return "400 Oops wtf"


class SMTPWorker(threading.Thread):
    def __init__(self, session):
        self.session = session
        self.quitting = False
        threading.Thread.__init__(self)

    def run(self):
        cfg = self.session.config
        if cfg["host"] and cfg["port"] is not None:
            server = SMTPServer(self.session, (cfg["host"], cfg["port"]), decode_data=True)
            self.session.port = server.socket.getsockname()[1]
            self.session.ready.set()
            while not self.quitting:
                asyncore.poll(timeout=0.1)
            asyncore.close_all()

    def quit(self, join=True):
        self.quitting = True
        if join:
            try:
                self.join()
            except RuntimeError:
                pass


if __name__ == "__main__":
    session = Session({"host": "127.0.0.1", "port": 0})
    worker = SMTPWorker(session)
    worker.start()
    session.ready.wait(10)
    print(session.port, flush=True)
    sys.stdin.read()
    worker.quit()
    print("indexed %d messages" % len(session.index))
    for mailfrom, rcpttos, subject in session.index:
        print(" ", mailfrom, ",".join(rcpttos), subject)

# Shape: a monitoring gateway that turns alert mails into web posts: SmtpServer(smtpd.
# SMTPServer) whose no-argument __init__ calls the base by name on a fixed local address
# with a relay tuple (here port 0 and decode_data=True), compiles To:/Subject: header
# regexes written for CRLF line ends (smtpd joins lines with LF, so they never match)
# and starts a Sender thread (a queue worker posting each alert); a 4-argument
# process_message printing the peer, refusing non-local peers with 550, taking To and
# Subject from the regexes or else the envelope and queueing the alert; quit() stops and
# joins the sender, which then reports what it posted; asyncore.loop() in try/except
# KeyboardInterrupt, then quit().
import asyncore
import queue
import re
import smtpd
import threading

from _record import record


class Sender(threading.Thread):
    def __init__(self):
        threading.Thread.__init__(self)
        self.queue = queue.Queue()
        self.posted = []

    def run(self):
        while True:
            item = self.queue.get()
            if item is None:
                break
            self.post(item)

    def post(self, item):
        # the real one posts a multipart form to the monitoring web service
        self.posted.append("to=%s subject=%s bytes=%d" % item)

    def quit(self):
        self.queue.put(None)


class SmtpServer(smtpd.SMTPServer):
    def __init__(self):
        smtpd.SMTPServer.__init__(self, ("127.0.0.1", 0), ("localhost", 25),
                                  decode_data=True)
        self.patTo = re.compile("^To:(([ \t].+?\r\n)+)", re.MULTILINE | re.IGNORECASE)
        self.patSubject = re.compile("^Subject:(([ \t].+?\r\n)+)",
                                     re.MULTILINE | re.IGNORECASE)
        self.sender = Sender()
        self.sender.start()

    def quit(self):
        self.sender.quit()
        self.sender.join()
        for line in self.sender.posted:
            print("posted:", line)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("peer:", peer[0])

        if not peer[0] in ("127.0.0.1", "localhost"):  # noqa: E713
            return "550 Relay denied"

        m = self.patTo.search(data)
        to = m.group(1).strip() if m else ",".join(rcpttos)
        m = self.patSubject.search(data)
        subject = m.group(1).strip() if m else "(from %s)" % mailfrom
        self.sender.queue.put((to, subject, len(data)))


if __name__ == "__main__":
    server = SmtpServer()
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass
    server.quit()

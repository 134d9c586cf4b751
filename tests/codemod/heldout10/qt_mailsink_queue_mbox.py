# Shape: a desktop (Qt) mail sink: SmtpMailsinkServer(smtpd.SMTPServer) with a class
# attribute __version__ of its own, an __init__(*args, **kwargs) that, when a DEBUG_SMTP
# switch is on, points smtpd.DEBUGSTREAM at stdout and sets smtpd.SMTPServer.debug = True
# before calling the base by name (the switch is off here), setters setQueue() and
# set_mbox_file_path() called after construction, and a 4-argument process_message (the
# app passes decode_data=True) that appends to an mbox file and puts the text on the
# queue; the asyncore loop runs on a daemon thread and the GUI's timer polls the queue
# (a main-thread loop here) until Ctrl+C, which shows what is left and exits.
import asyncore
import email
import logging
import mailbox
import os
import queue
import smtpd
import sys
import threading

from _record import record

DEBUG_SMTP = os.environ.get("MAILSINK_DEBUG") == "1"
LOG = logging.getLogger("mailsink")


def mbox_write_item(mbox_path, from_text, data):
    box = mailbox.mbox(mbox_path)
    box.lock()
    try:
        item = mailbox.mboxMessage(data)
        item.set_from(from_text)
        box.add(item)
        box.flush()
    finally:
        box.unlock()
        box.close()


class SmtpMailsinkServer(smtpd.SMTPServer):
    __version__ = "Python SMTP Mail Sink version 0.2"

    def __init__(self, *args, **kwargs):
        if DEBUG_SMTP:
            smtpd.DEBUGSTREAM = sys.stdout
            smtpd.SMTPServer.debug = True
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.mailboxFilePath = None
        self.queue = None

    def setQueue(self, mailQueue):
        self.queue = mailQueue

    def set_mbox_file_path(self, mailboxFilePath):
        self.mailboxFilePath = mailboxFilePath

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        LOG.info("processing new message from %s", mailfrom)
        if self.mailboxFilePath is not None:
            mbox_write_item(mbox_path=self.mailboxFilePath, from_text=mailfrom, data=data)
        self.queue.put(data)


def show(number, text):
    message = email.message_from_string(text)
    print("mail #%d: %s (%d lines)" % (number, message["Subject"], len(text.splitlines())))


def main():
    mail_queue = queue.Queue()
    server = SmtpMailsinkServer(("127.0.0.1", 0), None, decode_data=True)
    server.setQueue(mail_queue)
    server.set_mbox_file_path("mailsink.mbox")
    print(server.socket.getsockname()[1], flush=True)
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.5})
    thread.daemon = True
    thread.start()
    shown = 0
    try:
        while True:  # the QTimer slot
            try:
                text = mail_queue.get(timeout=0.05)
            except queue.Empty:
                continue
            shown += 1
            show(shown, text)
    except KeyboardInterrupt:
        while not mail_queue.empty():
            shown += 1
            show(shown, mail_queue.get())
        print("window closed after %d mails" % shown)


if __name__ == "__main__":
    main()

# Shape: a mail archiver's LMTP front end: `from smtpd import SMTPChannel, SMTPServer`,
# LMTPChannel(SMTPChannel) whose smtp_LHLO just calls self.smtp_HELO(arg); LMTPServer(
# SMTPServer) whose __init__(localaddr, remoteaddr) wraps the base call in try/except
# Exception logging "Cannot init LMTP server" and sys.exit(1); process_message(**kwargs)
# handing everything to a static Storage.storeMsg(peer, mailfrom, rcpttos, data, **kwargs);
# an unused process_message_ variant that would run it on a Thread; a Py2-style
# handle_accept (conn, addr = self.accept(), then LMTPChannel(self, conn, addr)) that
# registers the channel with a static Server class; static Logger and Config classes;
# runServer() builds the server and runs asyncore.loop() in try/except KeyboardInterrupt.
# (Storage writes one numbered file per recipient under archive/; Logger prints to stderr.)
import asyncore
import os
import sys
from smtpd import SMTPChannel, SMTPServer
from threading import Thread

from _record import record


class Config:
    host = "127.0.0.1"
    port = 0
    archive = "archive"


class Logger:
    @staticmethod
    def debug(text):
        print("[DEBUG] " + text, file=sys.stderr)

    @staticmethod
    def warn(text):
        print("[WARN] " + text, file=sys.stderr)

    @staticmethod
    def crit(text):
        print("[CRIT] " + text, file=sys.stderr)


class Server:
    channels = []

    @staticmethod
    def setChannel(channel):
        Server.channels.append(channel)


class Storage:
    counter = 0

    @staticmethod
    def storeMsg(peer, mailfrom, rcpttos, data, **kwargs):
        Storage.counter += 1
        for rcpt in rcpttos:
            folder = os.path.join(Config.archive, rcpt.replace("@", "_at_"))
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "%04d.msg" % Storage.counter), "wb") as f:
                f.write(b"X-Envelope-From: " + mailfrom.encode() + b"\n")
                f.write(b"X-Mail-Options: " + repr(kwargs.get("mail_options")).encode() + b"\n")
                f.write(data)


class LMTPChannel(SMTPChannel):
    # LMTP "LHLO" command is routed to the SMTP/ESMTP command
    def smtp_LHLO(self, arg):
        self.smtp_HELO(arg)


class LMTPServer(SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        try:
            SMTPServer.__init__(self, localaddr, remoteaddr)
        except Exception as err:
            Logger.crit("Cannot init LMTP server: " + str(err))
            sys.exit(1)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        Logger.debug("processing message")
        Storage.storeMsg(peer, mailfrom, rcpttos, data, **kwargs)
        return

    def process_message_(self, peer, mailfrom, rcpttos, data, **kwargs):
        try:
            t = Thread(
                target=self.process_message,
                args=(peer, mailfrom, rcpttos, data,),
            )
            t.start()
        except Exception as err:
            Logger.warn("Cannot start thread in process_message: " + str(err))

    def handle_accept(self):
        conn, addr = self.accept()
        channel = LMTPChannel(self, conn, addr)
        Server.setChannel(channel)


def runServer():
    try:
        server = LMTPServer((Config.host, Config.port), None)
        print(server.socket.getsockname()[1], flush=True)
        asyncore.loop()
    except KeyboardInterrupt:
        Logger.debug("stopped after %d connections" % len(Server.channels))


if __name__ == "__main__":
    runServer()

# Shape: a student "local mailbox with a web page" project: module-level objects made at
# import (an outgoing-proxy object that reads its login from a text file and prints a
# complaint when the file is missing, a pickle-backed MailDatabase('mailBox.db'), a
# mailQueue list); MailServer(smtpd.SMTPServer) with a 4-argument process_message whose
# parameters are renamed (_peer, _from, _to, _data; default decode_data: TypeError on
# every message under Python 3) that would queue, pickle and print the message and send
# non-local mail on; MailServerHandler(threading.Thread, object) whose setup() starts the
# thread BEFORE it builds the server, and whose run() calls asyncore.loop() over and over
# (`while self.active:` with a bare except printing 'MailHandler error'), then close()
# (asyncore.close_all(), a print, active = False) once more itself. The main thread
# serves the web page (here: waits for stdin to close) and closes the handler in finally.
# (The retried loop gets timeout=0.1: close_all() from the main thread does not wake a
# select() already waiting on the closed socket, which would sit out its 30 s.)
import asyncore
import os
import pickle
import smtpd
import sys
import threading
import time

from _record import record

HERE = os.path.dirname(os.path.abspath(__file__))


class MailOutgoingProxy:
    def __init__(self):
        self.srv = "smtp.invalid"
        self.prt = 587
        self.account = "unknown"
        self.pwd = "unknown"
        try:
            with open(os.path.join(HERE, "outsrv_login.txt")) as acinfo:
                lines = acinfo.read().splitlines()
            self.account = lines[0]
            self.pwd = lines[1]
        except Exception:
            print("Please specify your outgoing server account/pwd in outsrv_login.txt")

    def send(self, fr, to, msg):
        print("Mail outgoing via: " + self.srv + "#" + str(self.prt))


class MailDatabase:
    def __init__(self, mailDBFile):
        self.dbFile = mailDBFile
        self.content = None
        if os.path.exists(self.dbFile):
            with open(self.dbFile, "rb") as fd:
                try:
                    self.content = pickle.load(fd)
                except Exception:
                    print("Invalid MailBox DB.")

    def read(self):
        return self.content

    def save(self, c):
        self.content = c
        with open(self.dbFile, "wb") as fd:
            pickle.dump(self.content, fd)


mailOutgoing = MailOutgoingProxy()
mailBox = MailDatabase(os.path.join(HERE, "mailBox.db"))
mailQueue = []


class MailServer(smtpd.SMTPServer):
    def process_message(self, _peer, _from, _to, _data):
        record(_peer, _from, _to, _data)
        msg = {"from": _from, "to": _to, "data": _data, "time": time.time()}
        mailQueue.append(msg)
        self.store_message(msg)
        print("from", _from)
        print("to", _to)
        maildomain = _to[0][_to[0].find("@") + 1:]
        print("@mail domain: " + maildomain)
        if maildomain != "localhost":
            mailOutgoing.send(_from, _to, _data)

    def store_message(self, msg):
        data = mailBox.read() or {}
        data.setdefault("messages", [])
        msg["id"] = len(data["messages"]) + 1
        data["messages"].append(msg)
        mailBox.save(data)


class MailServerHandler(threading.Thread, object):  # noqa: UP004
    def __init__(self, hostInfo):
        threading.Thread.__init__(self)
        self.hostInfo = hostInfo
        self.active = True
        self.server = None

    def run(self):
        while self.active:
            try:
                asyncore.loop(timeout=0.1)
            except Exception:
                print("MailHandler error")
        self.close()

    def close(self):
        asyncore.close_all()
        print("Mail Server closes.")
        self.active = False

    def setup(self):
        print("Mail Server starts.")
        self.start()
        self.server = MailServer(self.hostInfo, None)


def start():
    try:
        server.setup()
        print(server.server.socket.getsockname()[1], flush=True)
        sys.stdin.read()  # the mailbox web page ran here until it was stopped
        print("messages queued:", len(mailQueue))
    finally:
        server.close()


server = MailServerHandler(("127.0.0.1", 0))

start()

# Shape: a repository-sync tool's mail tests: FakeSMTPServer(smtpd.SMTPServer) whose
# __init__(dir, *args, **kwargs) keeps the directory before calling the base by name with
# *args/**kwargs, and a 4-argument process_message (default decode_data: TypeError on
# every message under Python 3) writing the data to <dir>/data; the TestCase's setUp makes
# a log directory and an application config read from a StringIO (mailfrom, smarthost),
# startSendmail() os.fork()s a child that builds the server and runs asyncore.loop() until
# it is killed, and tearDown kills the child with SIGTERM and waits for it. (The
# directory is a fixed name next to the program; the child reports its port through a
# pipe since it binds port 0; the test waits for stdin to close before looking for the
# data file.)
import asyncore
import configparser
import os
import signal
import smtpd
import sys
import unittest
from io import StringIO

from _record import record


class FakeSMTPServer(smtpd.SMTPServer):
    def __init__(self, dir, *args, **kwargs):
        self.basedir = dir
        smtpd.SMTPServer.__init__(self, *args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        open(self.basedir + "/data", "w").write(data)


class TestMail(unittest.TestCase):
    def setUp(self):
        self.logdir = "bigitr-log"
        os.makedirs(self.logdir, exist_ok=True)
        self.pid = None
        self.appConfig = StringIO("""
[global]
mailfrom = send@er
smarthost = localhost:16294
logdir = %s""" % self.logdir)

    def startSendmail(self):
        r, w = os.pipe()
        self.pid = os.fork()
        if not self.pid:
            os.close(r)
            server = FakeSMTPServer(self.logdir, ("127.0.0.1", 0), None)
            os.write(w, str(server.socket.getsockname()[1]).encode())
            os.close(w)
            asyncore.loop()
            os._exit(0)
        os.close(w)
        port = int(os.read(r, 16))
        os.close(r)
        return port

    def tearDown(self):
        if self.pid:
            os.kill(self.pid, signal.SIGTERM)
            _, status = os.waitpid(self.pid, 0)
            print("child ended by signal", os.WTERMSIG(status))

    def test_sendmail(self):
        port = self.startSendmail()
        config = configparser.ConfigParser()
        config.read_file(self.appConfig)
        config.set("global", "smarthost", "localhost:%d" % port)
        print(port, flush=True)
        print("smarthost:", config.get("global", "smarthost").split(":")[0])
        sys.stdin.read()
        print("data file:", os.path.exists(os.path.join(self.logdir, "data")))


if __name__ == "__main__":
    case = TestMail("test_sendmail")
    case.setUp()
    try:
        case.test_sendmail()
    finally:
        case.tearDown()

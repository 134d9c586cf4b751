# Shape: a "dummy SMTP server for receiving email" snippet from a Linux-support site:
# mailserver(smtpd.SMTPServer) (lower case) whose __init__(host='', port=8000,
# basepath='.maildumpdir') keeps basepath BEFORE calling the base by name and then prints
# "Dummy SMTP Server is listening on port" with the port it was given; a 4-argument
# process_message (default decode_data: TypeError on every message under Python 3) that
# would print the envelope and write one file per recipient into a folder per local part
# through a recursive _mkdir() helper; loop() builds the server, runs
# asyncore.loop(timeout=2) and on KeyboardInterrupt prints 'dummy SMTP server halted.'
# and closes it. (Port 0 here, so the notice says port 0; the real port is printed after.)
import asyncore
import os
import smtpd
import time

from _record import record


class mailserver(smtpd.SMTPServer):
    def __init__(self, host="", port=8000, basepath=".maildumpdir"):
        self.basepath = basepath
        smtpd.SMTPServer.__init__(self, (host, port), None)
        print("Dummy SMTP Server is listening on port", port)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("mail from: %s to: %s of %s" % (mailfrom, repr(rcpttos), peer))
        for rcpt in rcpttos:
            rcpt = rcpt.split("@")[0]
            try:
                _mkdir(self.basepath + os.sep + rcpt)
            except OSError:
                pass
            name = mailfrom + "-[" + str(tuple(peer)) + "]-" + time.strftime("%Y%m%d%H%M%S")
            with open(self.basepath + os.sep + rcpt + os.sep + name, "w") as f:
                f.write(data + str(tuple(peer)))


def loop():
    x = mailserver(host="127.0.0.1", port=0)
    print(x.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop(timeout=2)
    except KeyboardInterrupt:
        print("dummy SMTP server halted.")
        x.close()


def _mkdir(newdir):
    if os.path.isdir(newdir):
        pass
    elif os.path.isfile(newdir):
        raise OSError("a file named '%s' already exists" % newdir)
    else:
        head, tail = os.path.split(newdir)
        if head and not os.path.isdir(head):
            _mkdir(head)
        if tail:
            os.mkdir(newdir)


if __name__ == "__main__":
    loop()

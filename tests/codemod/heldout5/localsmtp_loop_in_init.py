# Shape: a textbook chapter's "localsmtp" script: LocalSMTP.__init__(host, port, mbox,
# trace) builds the server, prints a banner and runs asyncore.loop() INSIDE the constructor
# (try/except Exception printing the error; ^C is not caught); a lowercase smtpServer
# subclass of `from smtpd import SMTPServer` with a class-level counter `no`, __init__(args,
# mbox, trace) setting attributes before calling the base by name, process_message(**kwargs)
# printing when tracing and writing data ('wb') to one .msg file per recipient named from a
# saveName() helper. (File names drop the original's timestamp; the peer is printed
# without its port.)
import asyncore
import os
import sys
from smtpd import SMTPServer

from _record import record


def saveName(recip):
    recip = recip.split()[-1].replace("<", "").replace(">", "")
    contact = recip.split("@")[0].replace(".", " ")
    domain = recip.split("@")[1].replace(".", "_")
    return (contact + " " + domain).replace("'", "").replace('"', "")


class LocalSMTP:
    def __init__(self, host, port, mbox, trace=False):
        self.server = smtpServer((host, port), mbox, trace)
        print(self.server.socket.getsockname()[1], flush=True)
        print("localsmtp SMTP Server now listening on %s port %i!" % (host, port))
        try:
            asyncore.loop()
        except Exception as ex:
            print(str(ex))


class smtpServer(SMTPServer):
    no = 0

    def __init__(self, args, mbox, trace=False):
        self.trace = trace
        self.mbox = mbox
        SMTPServer.__init__(self, args, None)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if self.trace:
            print("Receiving message from:", peer[0])
            print("Message Addressed From:", mailfrom)
            print("Messages Addressed To:", rcpttos)
            print("Message Length:", len(data))
        for recips in rcpttos:
            recip = saveName(recips)
            filename = "%s-%d.msg" % (recip, self.no)
            f = open(os.path.join(self.mbox, filename), "wb")  # noqa: SIM115
            f.write(data)
            f.close()
            if self.trace:
                print("%s saved." % filename)
        self.no += 1
        return


class mailconfig:
    smtpserver = ("127.0.0.1", 0, "mbox")


if __name__ == "__main__":
    sys.path.append("..")
    host, port, mbox = mailconfig.smtpserver
    os.makedirs(mbox, exist_ok=True)
    LocalSMTP(host, port, mbox, trace=True)

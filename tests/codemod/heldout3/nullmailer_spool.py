# Shape: an SMTP front end for nullmailer: dunder class attributes (__counter__,
# __queue__, __tmp__, __trigger__), a 4-argument process_message (default decode_data)
# writing envelope and data to a tmp file, os.link() into the queue, an fsync of the
# queue directory and a write to the trigger; a bare loop under __main__.
import asyncore
import os
from smtpd import SMTPServer

from _record import record


class Nullmailer(SMTPServer):
    __counter__ = 0
    __queue__ = "spool/queue"
    __tmp__ = "spool/tmp"
    __trigger__ = "spool/trigger"

    def fsyncspool(self):
        """Call fsync() on the queue directory"""
        fd = -1
        try:
            fd = os.open(self.__queue__, os.O_RDONLY)
            os.fsync(fd)
        finally:
            if fd > -1:
                os.close(fd)

    def trigger(self):
        """Wake nullmailer up through its trigger (a fifo in real life)"""
        with open(self.__trigger__, "a") as f:
            f.write("\0")

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.__counter__ += 1
        filename = "msg_%d" % self.__counter__
        tmp = "%s/%s" % (self.__tmp__, filename)
        spool = "%s/%s" % (self.__queue__, filename)
        with open(tmp, "w") as f:
            f.write(mailfrom + "\n")
            for rcpt in rcpttos:
                f.write(rcpt + "\n")
            f.write("\n" + data)
        try:
            os.link(tmp, spool)
            self.fsyncspool()
            self.trigger()
        finally:
            os.unlink(tmp)


if __name__ == "__main__":
    os.makedirs(Nullmailer.__queue__, exist_ok=True)
    os.makedirs(Nullmailer.__tmp__, exist_ok=True)
    server = Nullmailer(("127.0.0.1", 0), None)
    print("nullmailer front end ready")
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()

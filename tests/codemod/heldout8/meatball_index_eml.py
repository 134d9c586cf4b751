# Shape: a home-server project's mail sink script (tab-indented in the original):
# EmailServer(smtpd.SMTPServer) with a class attribute `index = 0` bumped per message,
# a 4-argument process_message with abbreviated parameter names (p, mf, rt, data) and
# the default decode_data (TypeError on every message under Python 3) that would write
# '<directory>/<timestamp>-<index>.eml' in text mode and print "<file> received"; a
# run() function that builds the server without keeping it and wraps asyncore.loop() in
# try/except KeyboardInterrupt printing "Interrupted!".
# (The directory is a folder next to the program; the port is printed by run().)
import asyncore
import datetime
import os
import smtpd

from _record import record

directory = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spool")


class EmailServer(smtpd.SMTPServer):
    index = 0

    def process_message(self, p, mf, rt, data):
        record(p, mf, rt, data)
        stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
        filename = "%s/%s-%d.eml" % (directory, stamp, self.index)
        with open(filename, "w") as f:
            f.write(data)
        print(filename, "received")
        self.index += 1


def run():
    port = EmailServer(("127.0.0.1", 0), None).socket.getsockname()[1]
    print(port, flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("Interrupted!")


if __name__ == "__main__":
    run()

# Shape: the widely copied "EmlServer" recipe in its Python 3 form: EmlServer(SMTPServer)
# imported with `from smtpd import SMTPServer`, a class attribute counter `no = 0` that
# `self.no += 1` turns into an instance attribute, process_message spelling out
# mail_options=None, rcpt_options=None and writing the bytes data to a new .eml file
# ('wb') then printing "<name> saved."; run() builds the server into an unused local,
# prints "started" and runs asyncore.loop() in try/except KeyboardInterrupt: pass.
# (File names drop the recipe's timestamp prefix.)

from __future__ import print_function  # noqa: UP010

import asyncore
from smtpd import SMTPServer

from _record import record


class EmlServer(SMTPServer):
    no = 0

    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        filename = "mail-%d.eml" % self.no
        f = open(filename, "wb")
        f.write(data)
        f.close()
        print("%s saved." % filename)
        self.no += 1


def run():
    # start the smtp server on localhost:25
    foo = EmlServer(("127.0.0.1", 0), None)
    print(foo.socket.getsockname()[1], flush=True)
    print("started")
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    run()

# Shape: the much-copied "EmlServer" snippet in its explicit-options variant: from smtpd
# import SMTPServer; EmlServer with a class counter no = 0 and process_message(self, peer,
# mailfrom, rcpttos, data, mail_options=None, rcpt_options=None) that opens the numbered
# .eml file in text mode 'w' and writes data, which is bytes under the default
# decode_data (TypeError: the file stays empty, the counter does not move and smtpd
# drops the connection), then `f.close` without the call; run() builds the server and
# loops in try/except KeyboardInterrupt: pass.
import asyncore
from smtpd import SMTPServer

from _record import record


class EmlServer(SMTPServer):
    no = 0

    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None,
                        rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options,
               rcpt_options=rcpt_options)
        filename = "inbox-%d.eml" % self.no
        f = open(filename, "w")
        f.write(data)
        f.close  # noqa: B018
        print("%s saved." % filename)
        self.no += 1


def run():
    foo = EmlServer(("127.0.0.1", 0), None)
    print(foo.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    run()

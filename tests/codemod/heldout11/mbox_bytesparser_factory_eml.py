# Shape: the much-copied EmlServer snippet turned into an mbox writer: `from smtpd import
# SMTPServer`, a class counter no = 0 and a **kwargs process_message that builds a
# timestamped .eml name, then overwrites it with one fixed mailbox path, opens
# mailbox.mbox(path, factory=BytesParser(policy=default).parse) and add()s the raw bytes
# (the mailbox is never closed), prints "<path> saved." and counts; the old file-writing
# lines are left commented out; run() keeps the server in a local foo and wraps
# asyncore.loop() in try/except KeyboardInterrupt: pass.
import asyncore
import mailbox
import os
from datetime import datetime
from email.parser import BytesParser
from email.policy import default
from smtpd import SMTPServer

from _record import record


class EmlServer(SMTPServer):
    no = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        filename = '%s-%d.eml' % (datetime.now().strftime('%Y%m%d%H%M%S'),
            self.no)
        filename = 'Mail/inbox'

        mbox = mailbox.mbox(filename, factory=BytesParser(policy=default).parse)
        mbox.add(data)
        #print(filename)
        #f = open(filename, 'ab')
        #f.write(data)
        #f.close
        print('%s saved.' % filename)
        self.no += 1


def run():
    os.makedirs('Mail', exist_ok=True)  # the user's mail folder (~/Mail in the original)
    foo = EmlServer(('127.0.0.1', 0), None)
    print(foo.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    run()

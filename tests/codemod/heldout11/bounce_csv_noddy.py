# Shape: a fork of the "noddy fake smtp server" gist that marks bounces (Python 2 prints
# made calls): module globals outputFolder, bounceFolder, bounceDomain, host and port, a
# commented-out pid-file check at import; FakeSMTPServer.__init__(*args, **kwargs) prints
# "Running fake smtp server on port host:port" and calls the base by name;
# process_message(*args, **kwargs) takes self, the sender, the recipients and the
# content from args, splits the content on "\n" (bytes under Python 3's default
# decode_data: TypeError before anything is written), then would print, write the mail
# in text mode (`mail.close` without a call) and count X-Message-ID headers with
# len(filter(...)); a __main__ block loops in try/except KeyboardInterrupt and closes.
import os
import sys

pid = str(os.getpid())
pidfile = "./listen.pid"

#if os.path.isfile(pidfile):
#    print("%s already exists, exiting" % pidfile)
#    sys.exit()
#else:
#    file(pidfile, 'w').write(pid)

import asyncore
import smtpd
import time
from datetime import datetime

from _record import record

outputFolder = "./incoming/"
bounceFolder = "./bounces/"
bounceDomain = "example.com"
port = 0
host = "127.0.0.1"
counter = [0]  # the original named files by time.strftime and random.randint


class FakeSMTPServer(smtpd.SMTPServer):
    """A Fake smtp server"""
    def __init__(*args, **kwargs):
        print("Running fake smtp server on port "+host+":"+str(port))
        smtpd.SMTPServer.__init__(*args, **kwargs)

    def write_mail(self, content):
        counter[0] += 1
        mail = open(outputFolder+"mail_"+str(counter[0])+".eml", "w")
        mail.write(content)
        mail.close

    def check_and_mark_bounced(self, headers, receivers):
        messageId = filter(lambda x: x.startswith('X-Message-ID:'), headers)
        if len(messageId) == 0:
            print("No X-Message-ID found!")
            return
        parsedMessageId = messageId[0].replace("X-Message-ID: ", "").split(".")[0]
        is_bounce = len(filter(lambda x: x.find(bounceDomain) > -1, receivers)) > 0
        if is_bounce:
            print("Writing bounce for " + parsedMessageId)
            bounce = open(bounceFolder+parsedMessageId + ".csv", "w")
            bounce.write("".join(receivers) + ";" + str(datetime.utcnow()) + ";" + parsedMessageId)
            bounce.close

    def process_message(*args, **kwargs):
        record(*args[1:], **kwargs)
        self = args[0]
        mailFrom = args[2]
        receivers = args[3]
        content = args[4]
        headers = content.split("\n")
        print("New mail from " + mailFrom)
        self.write_mail(content)
        self.check_and_mark_bounced(headers, receivers)
        pass


if __name__ == "__main__":
    smtp_server = FakeSMTPServer((host, port), None)
    print(smtp_server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        smtp_server.close()

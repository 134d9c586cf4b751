# Shape: an e-mail-to-receipt-printer bridge (Python 2 prints made calls; "idea based on"
# the ActiveState mail-sink recipe): module-level checks that the HTML-to-PDF and
# ImageMagick tools exist (os.system; stand-ins here), handleMessage(message_str) that
# walks the message for text, HTML and an image, writes an HTML snippet, shells out to
# convert it and prints "Arduino, print this file: ..."; MySMTPServer(smtpd.SMTPServer)
# with __init__(localaddr, remoteaddr) calling the base by name and a 4-argument
# process_message (default decode_data: TypeError on every message under Python 3)
# handing the data to handleMessage; MyEmailServer(threading.Thread) builds the server
# in its __init__, run() polls asyncore.loop(timeout=0.001, count=1) until a stop Event
# (isSet()), stop(timeout) sets it, joins, then closes the server; the main block parses
# "ip:port" from argv, starts the thread, prints "running" and sleeps in a loop whose
# bare except prints "stopping", stops and deletes the server. (File names used a uuid4:
# a counter here.)
import sys
import os
import asyncore
import threading
import smtpd
import time
import email
import re

from _record import record

CONTENT_RE = re.compile('image/(jpeg|png|gif)', re.I)
counter = [0]


def system(command):  # stand-in for os.system: the tools are not installed here
    if '--version' not in command:
        print('$ ' + command.split(' ')[0] + ' ...')
    return 0


if not os.path.exists("snippets"):
    os.mkdir("snippets")

if (system("wkhtmltopdf --version > /dev/null") != 0):
    print("This script required wkhtmltopdf, stopping now.")
    exit(1)

if (system("convert --version > /dev/null") != 0):
    print("This script required ImageMagick (convert), stopping now.")
    exit(1)

def handleMessage(message_str):
    message = email.message_from_string(message_str)

    counter[0] += 1
    guid = 'msg-%04d' % counter[0]
    imageContent = ''
    imageFilename = ''
    messageHtml = ''

    for part in message.walk():
        if part.get_content_type() == 'text/plain':
            messageHtml = "<p>" + part.get_payload(None, True).decode('utf-8', 'replace') + "</p>"
        elif part.get_content_type() == 'text/html':
            if len(messageHtml) == 0:
                messageHtml = part.get_payload(None, True)
        elif CONTENT_RE.search(part.get_content_type()) and part.get_filename() \
        and part['Content-Disposition'] \
        and part['Content-Disposition'].index('attachment') == 0:
            if imageContent == '':
                imageContent = part.get_payload(None, True)

    htmlPath = 'snippets/' + guid + '.html'
    pdfPath = 'snippets/' + guid + '.pdf'
    pbmPath = 'snippets/' + guid + '.pbm'
    if not os.path.exists(pbmPath):
        with open(htmlPath, 'w') as fout:
            fout.write("<html><body><div class='post'>\n")
            if len(message['subject'].strip()) > 0:
                fout.write("<h1>" + message['subject'].encode('utf-8') + "</h1>\n\n")
            fout.write(messageHtml.encode('utf-8') + "\n\n")
            fout.write("</div></body></html>\n")
        system("wkhtmltopdf --encoding utf8 \"" + htmlPath + "\" \"" + pdfPath + "\" 2> /dev/null")
        system("convert +antialias -density 500  \"" + pdfPath + "\" -monochrome \"" + pbmPath + "\"");

    print("Arduino, print this file: snippets/" + guid + ".pbm !!1!")

class MySMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        handleMessage(data)

class MyEmailServer(threading.Thread):
    def __init__(self, ipport):
        threading.Thread.__init__(self)
        self._stopevent = threading.Event()
        self.server = MySMTPServer(ipport, None)

    def run(self):
        while not self._stopevent.isSet():
            asyncore.loop(timeout = 0.001, count = 1)

    def stop(self, timeout=None):
        self._stopevent.set()
        threading.Thread.join(self, timeout)
        self.server.close()

if __name__ == "__main__":

    if len(sys.argv) > 2:
        print("usage: ip:port")
        sys.exit(1)

    ar = (sys.argv[1] if len(sys.argv) == 2 else "127.0.0.1:0").split(":")
    ar[1] = int(ar[1])
    ipport = tuple(ar)
    mailServer = MyEmailServer(ipport)
    mailServer.start()
    print("running")
    print(mailServer.server.socket.getsockname()[1], flush=True)
    running = True
    while running:
        try:
            time.sleep(1)
        except:
            print("stopping")
            mailServer.stop()
            del mailServer
            running = False

# Shape: an SMTP-to-Amazon-SES relay script (Python 2 prints made calls): a docstring
# crediting the PyMOTW smtpd tutorial, `import smtpd, sys, asyncore, optparse` on one
# line, the boto import in try/except ImportError (it printed a hint and exited 2; a
# stand-in connection class here); SESRelaySMTPServer(smtpd.SMTPServer) with
# __init__(localaddr, remoteaddr, aws_key, aws_secret) calling the base by name; a
# 4-argument process_message (default decode_data: TypeError on every message under
# Python 3) that would print the envelope, parse with Parser().parsestr, delete the
# Errors-To header SES refuses and send the raw message; an optparse main (-p port,
# -a addr, -k/-s credentials, exit 2 without them) that builds the server and loops in
# try/except KeyboardInterrupt: sys.exit(1).
'''
SMTP->SES Relay Server w/ Header Filter

A Lightweight SMTP server that accepts all messages, removes the Errors-To header
which offends SES, then relays them to SES
'''

import smtpd, sys, asyncore, optparse
from email.parser import Parser

from _record import record

try:
    from boto.ses.connection import SESConnection
except ImportError:
    class SESConnection(object):  # stand-in: "This script needs boto library."
        def __init__(self, aws_access_key_id, aws_secret_access_key):
            self.key = aws_access_key_id

        def send_raw_email(self, source, raw_message):
            print('SES send_raw_email from %s (%d chars)' % (source, len(raw_message)))

class SESRelaySMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, aws_key, aws_secret):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.aws_key = aws_key
        self.aws_secret = aws_secret

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        #Print the request information
        print('Receiving message from:', peer[0])
        print('Message addressed from:', mailfrom)
        print('Message addressed to :', rcpttos)
        print('Message length :', len(data))

        # Parse the message and remove headers that are offensive to SES
        msg = Parser().parsestr(data)
        if 'Errors-To' in msg:
            del msg['Errors-To']

        # Send out via SES
        connection = SESConnection(aws_access_key_id=self.aws_key,
            aws_secret_access_key=self.aws_secret)
        connection.send_raw_email(mailfrom, msg.as_string())


def main():
    usage = "usage: %prog [options]"
    parser = optparse.OptionParser(usage=usage)
    parser.add_option("-p", "--port", dest="port",
                    action="store",
                    type="int",
                    default=0,
                    help="port to run on")
    parser.add_option("-a", "--addr", dest="ip_addr",
                    action="store",
                    type="string",
                    default='127.0.0.1',
                    help="IP address to run on")
    parser.add_option("-k", "--aws-key", dest="key",
                    action="store",
                    default='AKIAEXAMPLE',  # the service's unit file passed -k and -s
                    help="AWS key")
    parser.add_option("-s", "--aws-secret", dest="secret",
                    action="store",
                    default='example-secret',
                    help="AWS secret key")
    options, args = parser.parse_args()

    port, ip_addr, key, secret = options.port, options.ip_addr, options.key, options.secret

    if not key and not secret:
        print("Missing credentials to use for AWS")
        sys.exit(2)

    try:
        server = SESRelaySMTPServer((ip_addr, port), None, key, secret)
        print(server.socket.getsockname()[1], flush=True)
        asyncore.loop()
    except KeyboardInterrupt:
        sys.exit(1)

if __name__ == '__main__':
    main()

# Shape: an auto-reply bot's RFC 2821 mail server (Python 2 era): Channel(smtpd.SMTPChannel)
# whose __init__ calls the base by name and stashes the server as self._server ("the
# base class makes the server attribute private"), with send() silencing socket.error;
# Server(smtpd.SMTPServer) with __init__(host, port, maildir) keeping a mailbox.Maildir
# and a Py2-style handle_accept that builds Channel itself without calling the base; a
# 4-argument process_message (default decode_data: TypeError on every message under
# Python 3) that would add X-Peer, X-RCPT-To and Return-Path and store the message;
# optparse options; SIGINT/SIGTERM handlers clear asyncore.socket_map so the loop ends,
# then asyncore.close_all(). (The loop gets timeout=1 here so the cleared map is seen at
# once: with the default 30 s a signal waits out select's timeout.)
import asyncore
import email
import mailbox
import optparse
import signal
import smtpd
import socket

from _record import record

COMMASPACE = ', '



class Channel(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr):
        smtpd.SMTPChannel.__init__(self, server, conn, addr)
        # The base class makes the server attribute private. :(
        self._server = server

    def send(self, data):
        # Silence asynchat/asyncore broken pipe errors.
        try:
            return smtpd.SMTPChannel.send(self, data)
        except socket.error:
            pass



class Server(smtpd.SMTPServer):
    def __init__(self, host, port, maildir):
        smtpd.SMTPServer.__init__(self, (host, port), None)
        self._mailbox = mailbox.Maildir(maildir, email.message_from_file)

    def handle_accept(self):
        conn, addr = self.accept()
        channel = Channel(self, conn, addr)
        # Don't call the base class method, since that would create a second
        # channel, which we don't need.

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        msg = email.message_from_string(data)
        msg['X-Peer'] = str(peer[0])
        msg['X-RCPT-To'] = COMMASPACE.join(rcpttos)
        msg['Return-Path'] = mailfrom
        self._mailbox.add(msg)



def parseargs():
    parser = optparse.OptionParser()
    parser.add_option('--host', default='127.0.0.1', action='store')
    parser.add_option('--port', type='int', default=0)
    parser.add_option('--mbox', action='store', default='maildir')
    options, arguments = parser.parse_args()
    parser.options = options
    parser.arguments = arguments
    return parser



def signal_handler(*ignore):
    # Shut down the asyncore loop.
    asyncore.socket_map.clear()



if __name__ == '__main__':
    # Set up signal handlers for exiting.
    signal.signal(signal.SIGTERM, signal_handler)
    signal.signal(signal.SIGINT, signal_handler)
    parser = parseargs()
    server = Server(parser.options.host,
                    parser.options.port,
                    parser.options.mbox)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop(timeout=1)
    asyncore.close_all()
    print('mail server stopped')

# Shape: a student organisation's web backend, restricted-mail LMTP service (its smtpd
# era): a channel module with constants ERR_451, ERR_501, ERR_502, ERR_550, ERR_550_MID,
# OK_250 and CRLF and a Channel(smtpd.SMTPChannel) whose __init__ calls the base by name
# and keeps self._server, smtp_LHLO calling smtpd.SMTPChannel.smtp_HELO and smtp_HELO
# answering ERR_502; smtpd.__version__ = "Lego LMTP"; LMTPService(BaseCommand,
# smtpd.SMTPServer) with channel_class = Channel AND a Py2-style handle_accept building
# it, __init__ logging the start, calling the SMTPServer base by name with
# remoteaddr=None and then super().__init__(), run() looping with use_poll=True, close()
# clearing asyncore.socket_map and close_all(); a 4-argument process_message(self, peer,
# mailfrom, recipients, data) (default decode_data: TypeError on every message under
# Python 3) that would parse the message and answer per recipient joined by CRLF.
import asyncore
import smtpd
import sys
from email import message_from_string

from _record import record

CRLF = '\r\n'
ERR_451 = '451 Requested action aborted: error in processing'
ERR_501 = '501 Message has defects'
ERR_502 = '502 Error: command HELO not implemented'
ERR_550 = '550 Requested action not taken: mailbox unavailable'
ERR_550_MID = '550 No Message-ID header provided'
OK_250 = '250 Ok'


class Channel(smtpd.SMTPChannel):
    """
    Custom channel for LMTP server. LMTP uses LHLO instead of HELO, this channel replaces this
    behavior.
    """

    def __init__(self, server, conn, addr):
        smtpd.SMTPChannel.__init__(self, server, conn, addr)
        self._server = server

    def smtp_LHLO(self, arg):
        smtpd.SMTPChannel.smtp_HELO(self, arg)

    def smtp_HELO(self, arg):
        self.push(ERR_502)


smtpd.__version__ = 'Lego LMTP'


class Log(object):  # stand-in for structlog's get_logger(): info to stderr, no debug
    def info(self, event, **kw):
        print(event, ' '.join('%s=%s' % i for i in sorted(kw.items())), file=sys.stderr)

    def debug(self, event, **kw):
        pass

    exception = info


log = Log()


class BaseCommand(object):
    def __init__(self):
        self.stdout = sys.stdout

    def execute(self, *args, **options):
        try:
            self.run(*args, **options)
        except KeyboardInterrupt:
            self.close()
            log.info('lmtp_server_stop')


class LMTPService(BaseCommand, smtpd.SMTPServer):
    """
    This class provides a interface for transporting mail into LEGO using LMTP.
    Command: manage.py restricted_email
    """

    help = 'Start a lmtp server for incoming restricted messages'
    channel_class = Channel

    def run(self, *args, **kwargs):
        asyncore.loop(use_poll=True)

    def close(self):
        asyncore.socket_map.clear()
        asyncore.close_all()

    def __init__(self):
        localaddr = '127.0.0.1', 0
        log.info('lmtp_server_start', address=localaddr[0])
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr=None)
        super().__init__()

    def handle_accept(self):
        conn, addr = self.accept()
        Channel(self, conn, addr)
        log.debug('lmtp_message_accept', address=addr)

    def process_message(self, peer, mailfrom, recipients, data):
        record(peer, mailfrom, recipients, data)
        message = message_from_string(data)
        if not message['Message-ID']:
            log.exception('lmtp_message_no_message_id')
            return CRLF.join(ERR_550_MID for _ in recipients)
        if message.defects:
            return CRLF.join(ERR_501 for _ in recipients)
        status = []
        for recipient in recipients:
            print('restricted mail to %s' % recipient)
            status.append(OK_250)
        return CRLF.join(status)


if __name__ == '__main__':
    service = LMTPService()
    print(service.socket.getsockname()[1], flush=True)
    service.execute()

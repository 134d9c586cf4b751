# A logging sink in smtpd's own style: its own DEBUGSTREAM = smtpd.Devnull() for the
# diagnostics a --debug flag would turn on, data_size_limit defaulting to
# smtpd.DATA_SIZE_DEFAULT in its __init__, and recipients printed joined with
# smtpd.COMMASPACE (rule constants: they become the module's own definitions).
import asyncore
import smtpd
import sys

from _record import record

DEBUGSTREAM = smtpd.Devnull()
if "--debug" in sys.argv:
    DEBUGSTREAM = sys.stderr


class LoggingSink(smtpd.SMTPServer):
    def __init__(self, localaddr, data_size_limit=smtpd.DATA_SIZE_DEFAULT):
        smtpd.SMTPServer.__init__(self, localaddr, None, data_size_limit=data_size_limit)
        print("size limit", data_size_limit, file=DEBUGSTREAM)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("to:", smtpd.COMMASPACE.join(rcpttos), flush=True)
        print("peer", peer, file=DEBUGSTREAM)


server = LoggingSink(("127.0.0.1", 0))
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

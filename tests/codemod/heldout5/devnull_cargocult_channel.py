# Shape: a self-described "cargo cult" mail sink: `from smtpd import *`, a Devnull writer
# class, MailHandler(SMTPChannel) whose __init__ re-implements the base's by hand without
# calling it (asynchat.async_chat.__init__, every private field, _set_rset_state(),
# command_size_limits.clear(), the 220 greeting pushed itself, DEBUG prints sent to
# Devnull()) and adds smtp_VRFY answering "250 WORDS"; MailmanServer(SMTPServer) with
# process_message(**kwargs) printing the raw data, and handle_accepted building MailHandler
# from the server's private attributes; run() called at import time, try/except ^C: pass.
import asynchat
import asyncore
import errno
import socket
from smtpd import *  # noqa: F403

from _record import record


class Devnull:
    def write(self, msg):
        pass

    def flush(self):
        pass


class MailHandler(SMTPChannel):  # noqa: F405
    def __init__(self, server, conn, addr, data_size_limit=33554432,
                 map=None, enable_SMTPUTF8=False, decode_data=False):
        asynchat.async_chat.__init__(self, conn, map=map)
        self.smtp_server = server
        self.conn = conn
        self.addr = addr
        self.data_size_limit = data_size_limit
        self.enable_SMTPUTF8 = enable_SMTPUTF8
        self._decode_data = decode_data
        if enable_SMTPUTF8 and decode_data:
            raise ValueError("decode_data and enable_SMTPUTF8 cannot"
                             " be set to True at the same time")
        if decode_data:
            self._emptystring = ""
            self._linesep = "\r\n"
            self._dotsep = "."
            self._newline = "\n"
        else:
            self._emptystring = b""
            self._linesep = b"\r\n"
            self._dotsep = ord(b".")
            self._newline = b"\n"
        self._set_rset_state()
        self.seen_greeting = ""
        self.extended_smtp = False
        self.command_size_limits.clear()
        self.fqdn = socket.getfqdn()
        try:
            self.peer = conn.getpeername()
        except OSError as err:
            # a race condition may occur if the other end is closing before we can get
            # the peername
            self.close()
            if err.args[0] != errno.ENOTCONN:
                raise
            return
        print("Peer:", repr(self.peer), file=Devnull())
        self.push("220 %s" % (self.fqdn))

    def smtp_VRFY(self, arg):
        print("Received VRFY for: ", arg)
        self.push("250 WORDS")


class MailmanServer(SMTPServer):  # noqa: F405
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("Message received from: ", mailfrom)
        print("Data: ", data)

    def handle_accepted(self, conn, addr):
        print("Incoming connection from %s" % repr(addr), file=Devnull())
        channel = MailHandler(self, conn, addr, self.data_size_limit, self._map,  # noqa: F841
                              self.enable_SMTPUTF8, self._decode_data)


def run():
    foo = MailmanServer(("127.0.0.1", 0), None)
    print(foo.socket.getsockname()[1], flush=True)
    print("Server launched")
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


run()

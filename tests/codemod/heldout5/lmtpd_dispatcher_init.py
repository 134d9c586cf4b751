# Shape: a small LMTP library built on smtpd: LMTPServer(SMTPServer) whose __init__ never
# calls SMTPServer.__init__ (it sets self._localaddr, calls asyncore.dispatcher.__init__,
# create_socket/set_reuse_addr/bind/listen by hand, closes and re-raises on error, and
# prints a start-up line with time.ctime to the DEBUGSTREAM it imported by name), a
# handle_accept building an empty LMTPChannel(SMTPChannel) itself; a class named
# DebuggingServer(LMTPServer) printing the message with an X-Peer line after the headers.
import asyncore
import socket
import time
from smtpd import DEBUGSTREAM, SMTPChannel, SMTPServer

from _record import record


class LMTPChannel(SMTPChannel):
    pass


class LMTPServer(SMTPServer):
    def __init__(self, localaddr):
        if isinstance(localaddr, str):
            inet_or_unix = socket.AF_UNIX
        else:
            inet_or_unix = socket.AF_INET

        self._localaddr = localaddr
        asyncore.dispatcher.__init__(self)
        try:
            self.create_socket(inet_or_unix, socket.SOCK_STREAM)
            # try to re-use a server port if possible
            self.set_reuse_addr()
            self.bind(localaddr)
            self.listen(5)
        except:  # noqa: E722
            # cleanup asyncore.socket_map before raising
            self.close()
            raise
        else:
            print("%s started at %s\n\tLocal addr: %s" % (
                self.__class__.__name__, time.ctime(time.time()), localaddr), file=DEBUGSTREAM)

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            print("Incoming connection from %s" % repr(addr), file=DEBUGSTREAM)
            channel = LMTPChannel(self, conn, addr)  # noqa: F841


class DebuggingServer(LMTPServer):
    # Do something with the gathered message
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        inheaders = 1
        lines = data.decode("utf-8", "replace").split("\n")
        print("---------- MESSAGE FOLLOWS ----------")
        for line in lines:
            # headers first
            if inheaders and not line:
                print("X-Peer:", peer[0])
                inheaders = 0
            print(line)
        print("------------ END MESSAGE ------------")


if __name__ == "__main__":
    server = DebuggingServer(("127.0.0.1", 0))
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()

# Shape: a delivery library's LMTP tests: LMTPChannel(SMTPChannel) routing a new LHLO verb to
# smtp_HELO; LMTPServer(SMTPServer) with __init__(localaddr, remoteaddr, fail, channel)
# taking the channel class as an argument, a Py2-style handle_accept building it, and
# process_message(*args, **kwargs) returning "500 Fail" or an explicit "250 Ok";
# server_and_loop(*args, **kwargs) builds the server and loops inside a
# multiprocessing.Process started by background_server(); the parent terminates it.
import asyncore
import sys
from multiprocessing import Process
from smtpd import SMTPChannel, SMTPServer

from _record import record


class LMTPChannel(SMTPChannel):
    # LMTP "LHLO" command is routed to the SMTP/ESMTP command
    def smtp_LHLO(self, arg):
        self.smtp_HELO(arg)


class LMTPServer(SMTPServer):
    def __init__(self, localaddr, remoteaddr, fail, channel):
        SMTPServer.__init__(self, localaddr, remoteaddr)
        self.fail = fail
        self.channel = channel

    def process_message(self, *args, **kwargs):
        record(*args, **kwargs)
        return "500 Fail" if self.fail else "250 Ok"

    def handle_accept(self):
        conn, addr = self.accept()
        channel = self.channel(self, conn, addr)  # noqa: F841


def server_and_loop(*args, **kwargs):
    server = LMTPServer(*args, **kwargs)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()


def background_server(fail, channel=LMTPChannel):
    p = Process(target=server_and_loop, args=(("127.0.0.1", 0), None, fail, channel))
    p.start()
    return p


if __name__ == "__main__":
    p = background_server(False)
    sys.stdin.read()
    p.terminate()
    p.join(10)
    print("server process exit code", p.exitcode)

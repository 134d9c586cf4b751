# Shape: a version-control system's test SMTP daemon: dummysmtpserver(smtpd.SMTPServer)
# with __init__(localaddr) calling the base by name with remoteaddr=None as a keyword, a
# **kwargs process_message logging "<peer ip> from=<sender> to=<recipients>" and a
# handle_error override printing the traceback instead of closing the server; a secure
# subclass whose handle_accept() wraps the accepted socket (logging "ssl error" and
# closing it on failure; a pass-through stand-in for the TLS wrap here) and builds a
# plain smtpd.SMTPChannel(self, conn, addr) by hand; optparse options (--tls none|smtps,
# --certificate, --port, --address, --pid-file) with the test suite's arguments as the
# default; init() builds the chosen server unkept and logs "listening at"; run() loops
# in try/except KeyboardInterrupt.
import asyncore
import optparse
import os
import smtpd
import ssl
import sys
import traceback

from _record import record


def log(msg):
    sys.stdout.write(msg)
    sys.stdout.flush()


class dummysmtpserver(smtpd.SMTPServer):
    def __init__(self, localaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr=None)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        log("%s from=%s to=%s\n" % (peer[0], mailfrom, ", ".join(rcpttos)))

    def handle_error(self):
        # On Windows, a bad SSL connection sometimes generates a WSAECONNRESET.
        # The default handler would shut this server down; eat the error instead.
        traceback.print_exc()


def wrapserversocket(conn, certfile):
    # stands in for the project's TLS helper: the certificate must exist
    if not os.path.exists(certfile):
        raise ssl.SSLError("no certificate: %s" % certfile)
    return conn


class dummysmtpsecureserver(dummysmtpserver):
    def __init__(self, localaddr, certfile):
        dummysmtpserver.__init__(self, localaddr)
        self._certfile = certfile

    def handle_accept(self):
        pair = self.accept()
        if not pair:
            return
        conn, addr = pair
        try:
            # wrap_socket() would block, but we don't care
            conn = wrapserversocket(conn, certfile=self._certfile)
        except ssl.SSLError:
            log("%s ssl error\n" % addr[0])
            conn.close()
            return
        smtpd.SMTPChannel(self, conn, addr)


def run():
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


def main(argv):
    op = optparse.OptionParser()
    op.add_option("-p", "--port", type=int, default=8025)
    op.add_option("-a", "--address", default="localhost")
    op.add_option("--pid-file", metavar="FILE")
    op.add_option("--tls", choices=["none", "smtps"], default="none")
    op.add_option("--certificate", metavar="FILE")

    opts, args = op.parse_args(argv)
    if opts.tls == "smtps" and not opts.certificate:
        op.error("--certificate must be specified")

    addr = (opts.address, opts.port)

    def init():
        if opts.tls == "none":
            dummysmtpserver(addr)
        else:
            dummysmtpsecureserver(addr, opts.certificate)
        server = next(iter(asyncore.socket_map.values()))
        print(server.socket.getsockname()[1], flush=True)
        log("listening at %s:%d\n" % server.socket.getsockname())

    if opts.pid_file:
        with open(opts.pid_file, "w") as f:
            f.write("dummysmtpd\n")
    init()
    run()


if __name__ == "__main__":
    if not os.path.exists("server.pem"):
        with open("server.pem", "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n")
    main(sys.argv[1:] or ["-p", "0", "-a", "127.0.0.1", "--pid-file", "dummysmtpd.pid",
                          "--tls", "smtps", "--certificate", "server.pem"])

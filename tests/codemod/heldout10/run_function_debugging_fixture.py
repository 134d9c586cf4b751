# Shape: a mail sync engine's sending tests: BadCertSMTPServer(smtpd.DebuggingServer)
# whose __init__(localaddr, remoteaddr) calls the base by name and then set_socket() on
# its own socket (the real one wraps it in TLS with a self-signed certificate; the wrap is
# switched off here); a module-level run_bad_cert_smtp_server() builds it unkept with
# remoteaddr (None, None) on port 0, publishes the port in a module global and loops; a
# pytest-style generator fixture runs that function on a daemon thread and waits for the
# port; the test waits for stdin to close.
import asyncore
import smtpd
import ssl
import sys
import threading

USE_TLS = False
SELF_SIGNED_CERTFILE = "tests/data/self_signed_cert.pem"
SELF_SIGNED_KEYFILE = "tests/data/self_signed_cert.key"
SMTP_SERVER_HOST = "127.0.0.1"
SMTP_SERVER_PORT = None
SERVER_READY = threading.Event()


class BadCertSMTPServer(smtpd.DebuggingServer):

    def __init__(self, localaddr, remoteaddr):
        smtpd.DebuggingServer.__init__(self, localaddr, remoteaddr)
        sock = self.socket
        if USE_TLS:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(SELF_SIGNED_CERTFILE, SELF_SIGNED_KEYFILE)
            sock = context.wrap_socket(sock, server_side=True)
        self.set_socket(sock)


def run_bad_cert_smtp_server():
    global SMTP_SERVER_PORT
    serv = BadCertSMTPServer((SMTP_SERVER_HOST, 0), (None, None))
    # override global so the client knows which port to use
    SMTP_SERVER_PORT = serv.socket.getsockname()[1]
    SERVER_READY.set()
    asyncore.loop()


def bad_cert_smtp_server():
    thread = threading.Thread(target=run_bad_cert_smtp_server, daemon=True)
    thread.start()
    SERVER_READY.wait(10)
    yield SMTP_SERVER_PORT


def test_smtp_ssl_verification_bad_cert(port):
    print(port, flush=True)
    sys.stdin.read()  # the client under test connects here
    print("test done")


if __name__ == "__main__":
    fixture = bad_cert_smtp_server()
    test_smtp_ssl_verification_bad_cert(next(fixture))
    fixture.close()

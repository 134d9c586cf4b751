# Shape: a developer's smtpd experiment: a module-level __version__ = 'Test smtpd 1.0' of
# its own (smtpd's is untouched); TestSmtpd(smtpd.PureProxy) whose Py2-style
# handle_accept prints "Incoming connection" to smtpd.DEBUGSTREAM and builds
# TestSMTPChannel by hand; TestSMTPChannel(smtpd.SMTPChannel) adds a TEST verb that
# pushes a line without a reply code ("Test print HOGE arg=..."); PureProxy's own
# process_message relays each message to an upstream (a closed local port here); a bare
# asyncore.loop() under __main__.
import asyncore
import smtpd
import socket

__all__ = ["TestSmtpd", "TestSMTPChannel"]
__version__ = "Test smtpd 1.0"


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class TestSmtpd(smtpd.PureProxy):
    def handle_accept(self):
        conn, addr = self.accept()
        print("Incoming connection from %s" % repr(addr), file=smtpd.DEBUGSTREAM)
        TestSMTPChannel(self, conn, addr)


class TestSMTPChannel(smtpd.SMTPChannel):

    def smtp_TEST(self, arg):
        self.push("Test print HOGE arg=%s" % arg)


if __name__ == "__main__":
    test_smtpd = TestSmtpd(("127.0.0.1", 0), ("127.0.0.1", closed_port()))
    print(test_smtpd.socket.getsockname()[1], flush=True)
    asyncore.loop()

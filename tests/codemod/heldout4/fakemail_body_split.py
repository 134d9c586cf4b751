# Shape: a "fakemail" developer catcher: DebuggyServer(smtpd.SMTPServer) with a 4-argument
# process_message (default decode_data) printing str.format lines, a BODY marker, then the
# body cut at a Content-Transfer-Encoding marker with data.split() inside a bare
# try/except that prints the data whole; a banner under __main__ and a bare loop.
import asyncore
import smtpd

from _record import record


class DebuggyServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("Receiving message from: {}".format(peer[0]))  # noqa: UP032
        print("Message addressed from: {}".format(mailfrom))  # noqa: UP032
        print("Message addressed to  : {}".format(rcpttos))  # noqa: UP032
        print("Message length        : {}".format(len(data)))  # noqa: UP032
        print("---- BODY ----")
        try:
            print(data.split("Content-Transfer-Encoding: quoted-printable")[-1])
        except:  # noqa: E722
            print(data)
        print("-" * 20)
        print("")
        return


if __name__ == "__main__":
    print("---------- FAKEMAIL ----------")
    print("Starting fakemail on 127.0.0.1")
    print("")
    server = DebuggyServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()

# Shape: a mail-to-disk project's tests: a `server` module with FakeSMTPServer
# (smtpd.SMTPServer) whose **kwargs process_message writes each message's bytes to a file
# in an "emails" folder (named by a running counter) and prints where, and a conftest
# whose session-scoped fixture builds FakeSMTPServer(("localhost", 1250), None) and then
# calls asyncore.loop() BEFORE its `yield server` (so set-up never finishes: the loop
# serves until Ctrl+C, and the KeyboardInterrupt surfaces in the fixture's set-up);
# server.close() after the yield is never reached. (The fixture is driven here as pytest
# would: next() on the generator, the KeyboardInterrupt caught and reported.)
import asyncore
import os
import smtpd

from _record import record

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "emails")


class FakeSMTPServer(smtpd.SMTPServer):
    count = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        os.makedirs(OUT, exist_ok=True)
        FakeSMTPServer.count += 1
        path = os.path.join(OUT, "%03d.eml" % FakeSMTPServer.count)
        with open(path, "wb") as f:
            f.write(data)
        print("written", os.path.relpath(path, os.path.dirname(OUT)))


def mail_to_disk_server():
    server = FakeSMTPServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()
    yield server
    server.close()


def test_mail_is_written(mail_to_disk_server):
    assert os.listdir(OUT)


if __name__ == "__main__":
    fixture = mail_to_disk_server()
    try:
        test_mail_is_written(next(fixture))
    except KeyboardInterrupt:
        print("!!! KeyboardInterrupt in fixture set-up")

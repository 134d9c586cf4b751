# A pytest fixture shape: a generator starts a recording server on a thread, yields it,
# and closes it after the test; the tests read server.socket for the port. Driven here
# as pytest drives it, 30 tests in a row, then once more for the round trip's dialogues.
import asyncore
import smtpd
import smtplib
import sys
import threading

from _record import record


class RecordingServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


def smtp_server():
    server = RecordingServer(("127.0.0.1", 0), None)
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
    thread.start()
    yield server
    server.close()
    thread.join(10)


def test_sends(server, number):
    port = server.socket.getsockname()[1]
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], "Subject: %d\r\n\r\nhi" % number)


for number in range(30):
    fixture = smtp_server()
    test_sends(next(fixture), number)
    for _ in fixture:
        pass

fixture = smtp_server()
server = next(fixture)
print(server.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
for _ in fixture:
    pass
print("31 fixtures set up and torn down", flush=True)

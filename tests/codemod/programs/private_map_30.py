# A generator context manager for tests keeping its sink off the shared socket map: a
# fresh dict per use, the server and the loop thread given it (positional arguments),
# close_all(map) in finally. Used 30 times in a row, then for the dialogues.
import asyncore
import contextlib
import smtpd
import smtplib
import sys
import threading

from _record import record


class ListSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.got.append(rcpttos[0])


@contextlib.contextmanager
def running_sink():
    own_map = {}
    sink = ListSink(("127.0.0.1", 0), None, map=own_map)
    sink.got = []
    loop_thread = threading.Thread(target=asyncore.loop, args=(0.05, False, own_map))
    loop_thread.start()
    try:
        yield sink, loop_thread
    finally:
        asyncore.close_all(own_map)
        loop_thread.join(10)


for attempt in range(30):
    with running_sink() as (sink, loop_thread):
        port = sink.socket.getsockname()[1]
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail("a@example.com", ["n%d@example.com" % attempt], "Subject: hi\r\n\r\nx")
    assert not loop_thread.is_alive(), attempt
    assert sink.got == ["n%d@example.com" % attempt], sink.got

with running_sink() as (sink, loop_thread):
    print(sink.socket.getsockname()[1], flush=True)
    sys.stdin.readline()  # the test closes stdin when its dialogues are done
print("got", sink.got, "alive", loop_thread.is_alive(), flush=True)

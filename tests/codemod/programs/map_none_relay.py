# A text sink with every constructor argument spelled out: a relay address it never
# uses, map=None and decode_data=True; the recipients go first into the saved text.
import asyncore
from smtpd import SMTPServer

from _record import record


class TextSink(SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        text = mailfrom + "\n" + "\n".join(rcpttos) + "\n" + data
        print("lines:", len(text.splitlines()), flush=True)
        record(peer, mailfrom, rcpttos, data)


def main():
    sink = TextSink(("127.0.0.1", 0), ("localhost", 1025), map=None, decode_data=True)
    print(sink.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop(timeout=0.5, map=None)
    except KeyboardInterrupt:
        sink.close()


main()

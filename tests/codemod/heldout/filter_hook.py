# Shape: a content filter: a class attribute holding an optional filter function set
# from outside, process_message parsing bytes with email.message_from_bytes, dropping
# what the filter refuses, passing the rest on (a reinjection in real life).
import asyncore
import email
import smtpd
import traceback

from _record import record


def unquote(text):
    return text.replace("'", "").replace('"', "")


class FilterServer(smtpd.SMTPServer):
    filterMail = None

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        mailfrom = unquote(mailfrom)
        recips = [unquote(r) for r in rcpttos]
        try:
            msg = email.message_from_bytes(data)
        except Exception:
            print(traceback.format_exc())
            return
        if self.filterMail:
            msg = self.filterMail(msg)
        if msg:
            self.inject(peer, mailfrom, recips, msg.as_bytes())
        else:
            print("message dropped")

    def inject(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)


def drop_second(msg):
    return None if msg["Subject"] is None else msg


def main():
    FilterServer.filterMail = staticmethod(drop_second)
    server = FilterServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

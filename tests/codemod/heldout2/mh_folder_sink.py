# Shape: a development mail catcher storing every message in a local mailbox folder
# (mailbox module) named by a class attribute, a **kwargs process_message with the
# default decode_data (bytes), a summary line per message, Ctrl+C handled in main().
import asyncore
import mailbox
import smtpd

from _record import record


class MailboxCatcher(smtpd.SMTPServer):
    folder = "catched"

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        box = mailbox.MH(self.folder, create=True)
        box.lock()
        try:
            key = box.add(data)
        finally:
            box.unlock()
            box.close()
        print("stored #%s from %s (%d bytes)" % (key, mailfrom, len(data)))


def main():
    catcher = MailboxCatcher(("127.0.0.1", 0), None)
    print(catcher.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop(timeout=1)
    except KeyboardInterrupt:
        print("stopping")
    finally:
        catcher.close()


if __name__ == "__main__":
    main()

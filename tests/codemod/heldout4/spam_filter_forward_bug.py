# Shape: a student "spam filter" relay: SpamFilter with a **kwargs process_message that
# prints a banner and the message parsed with email.message_from_bytes, then calls
# forward_message(), which reads self._remoteaddr and (wrongly) builds
# smtpd.SMTPServer(ip, port) as if it were a client to send_message() with, inside a
# try/except that prints the error; constructed with a real remoteaddr tuple, bare loop.
import asyncore
import email
import smtpd

from _record import record


class SpamFilter(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("\nA NEW MESSAGE HAS BEEN RECEIVED\n")
        msg = email.message_from_bytes(data)
        print(msg)
        self.forward_message(msg)
        return

    def forward_message(self, msg):
        try:
            ip = self._remoteaddr[0]
            port = self._remoteaddr[1]
            print("\nForwarding message to (", ip, ":", port, ")")
            server = smtpd.SMTPServer(ip, port)
            server.send_message(msg)
            server.quit()
        except Exception as e:
            print(e)


if __name__ == "__main__":
    spam_filter = SpamFilter(("127.0.0.1", 0), ("127.0.0.1", 10026))
    print(spam_filter.socket.getsockname()[1], flush=True)
    asyncore.loop()

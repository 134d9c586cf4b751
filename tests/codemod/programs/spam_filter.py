# A content filter: refuses bodies with a banned word, decodes text, tags the rest.
import asyncore
import smtpd

from _record import record

BANNED = ("lottery", "viagra")


class ContentFilter(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        lowered = data.lower()
        if any(word in lowered for word in BANNED):
            return "550 5.7.1 Message content rejected"
        record(peer, mailfrom, rcpttos, "X-Filtered: yes\n" + data)


content_filter = ContentFilter(("127.0.0.1", 0), None, decode_data=True)
print(content_filter.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    content_filter.close()

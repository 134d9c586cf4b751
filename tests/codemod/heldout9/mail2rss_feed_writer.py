# Shape: a "newsletters to RSS" converter: FeedServer(smtpd.SMTPServer) built with
# decode_data=True, a class-level list of items and a 4-argument process_message that
# parses the text with email.message_from_string, prepends an item (title from Subject,
# author from the envelope sender, description from the plain body, escaped with
# xml.sax.saxutils) and rewrites feed.xml next to the script with at most MAX_ITEMS items;
# the server is made in main() and asyncore.loop(timeout=5) runs bare (Ctrl+C ends it with
# a traceback).
import asyncore
import email
import os
import smtpd
from xml.sax.saxutils import escape

from _record import record

FEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "feed.xml")
MAX_ITEMS = 20


class FeedServer(smtpd.SMTPServer):
    items = []

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        msg = email.message_from_string(data)
        body = msg.get_payload()
        if msg.is_multipart():
            body = msg.get_payload(0).get_payload()
        self.items.insert(0, {
            "title": msg.get("Subject", "(no subject)"),
            "author": mailfrom,
            "description": body.strip(),
        })
        del self.items[MAX_ITEMS:]
        self.write_feed()

    def write_feed(self):
        with open(FEED, "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="utf-8"?>\n')
            f.write("<rss version=\"2.0\"><channel><title>Newsletters</title>\n")
            for item in self.items:
                f.write("<item><title>%s</title><author>%s</author>"
                        "<description>%s</description></item>\n"
                        % (escape(item["title"]), escape(item["author"]),
                           escape(item["description"])))
            f.write("</channel></rss>\n")
        print("feed.xml: %d item(s)" % len(self.items))


def main():
    server = FeedServer(("127.0.0.1", 0), None, decode_data=True)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop(timeout=5)


if __name__ == "__main__":
    main()

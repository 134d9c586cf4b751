# Shape: a verification-code inbox for end-to-end tests: Sink(smtpd.SMTPServer) built
# unkept at module level with data_size_limit=65536 and decode_data=False (its port read
# back from asyncore.socket_map); a **kwargs process_message parses the bytes with
# BytesParser, keeps the latest message per recipient and pulls a six-digit code out of
# the text; asyncore.loop on a daemon thread; the main thread serves the inbox as JSON
# over HTTP (http.server on another loopback port, never logging contents) until Ctrl+C,
# then prints the inbox.
import asyncore
import json
import re
import smtpd
import threading
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, HTTPServer

from _record import record

INBOX = {}
LOCK = threading.Lock()
CODE = re.compile(r"\b(\d{6})\b")


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        message = BytesParser(policy=policy.default).parsebytes(data)
        body = message.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        found = CODE.search(text)
        with LOCK:
            for rcpt in rcpttos:
                INBOX[rcpt.lower()] = {
                    "from": mailfrom,
                    "subject": str(message["subject"]),
                    "code": found.group(1) if found else None,
                }


class Inbox(BaseHTTPRequestHandler):
    def do_GET(self):
        with LOCK:
            body = json.dumps(INBOX.get(self.path.strip("/").lower())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass  # Never log message contents, recipients or verification codes.


if __name__ == "__main__":
    Sink(("127.0.0.1", 0), None, data_size_limit=65536, decode_data=False)
    sink = next(iter(asyncore.socket_map.values()))
    print(sink.socket.getsockname()[1], flush=True)
    threading.Thread(target=asyncore.loop, daemon=True).start()
    try:
        HTTPServer(("127.0.0.1", 0), Inbox).serve_forever()
    except KeyboardInterrupt:
        with LOCK:
            for rcpt in sorted(INBOX):
                print(rcpt, json.dumps(INBOX[rcpt], sort_keys=True))

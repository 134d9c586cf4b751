# Shape: a bounded development mail receiver: Sink(smtpd.SMTPServer) whose
# process_message(**kwargs) returns "550 Only @example.invalid development recipients are
# accepted" unless every recipient is in that domain, else parses with
# BytesParser(policy=policy.default), keeps text bodies in a module-level
# deque(maxlen=50) under a Lock; an HTTP inbox (BaseHTTPRequestHandler) serving the deque
# as JSON on a daemon thread; a bare asyncore.loop() in the main thread.
import asyncore
import json
import smtpd
import threading
from collections import deque
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, HTTPServer

from _record import record

MESSAGES = deque(maxlen=50)
LOCK = threading.Lock()


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if not rcpttos or any(not addr.lower().endswith("@example.invalid") for addr in rcpttos):
            return "550 Only @example.invalid development recipients are accepted"
        message = BytesParser(policy=policy.default).parsebytes(data)
        bodies = [part.get_content() for part in message.walk()
                  if part.get_content_type() in ("text/plain", "text/html")]
        with LOCK:
            MESSAGES.append({"to": rcpttos, "subject": str(message.get("Subject", "")),
                             "body": "\n".join(bodies)})
        return None


class Inbox(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path not in ("/", "/messages", "/health"):
            self.send_error(404)
            return
        with LOCK:
            body = json.dumps(list(MESSAGES)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    http = HTTPServer(("127.0.0.1", 0), Inbox)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    sink = Sink(("127.0.0.1", 0), None)
    print(sink.socket.getsockname()[1], flush=True)
    asyncore.loop()

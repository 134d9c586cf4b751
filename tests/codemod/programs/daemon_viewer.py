# A mail viewer's back end (Flask-app shape without Flask): messages kept in a module
# list that a view function renders; the SMTP side runs on a daemon thread.
import asyncore
import smtpd
import sys
import threading

from _record import record

INBOX = []


class ViewerSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        INBOX.append({"from": mailfrom, "to": rcpttos, "size": len(data)})
        record(peer, mailfrom, rcpttos, data, **kwargs)


def render_inbox():
    return "\n".join("%(from)s -> %(to)s (%(size)d bytes)" % m for m in INBOX)


sink = ViewerSink(("127.0.0.1", 0), None)
smtp_thread = threading.Thread(target=asyncore.loop, daemon=True)
smtp_thread.start()
print(sink.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
print(render_inbox(), flush=True)
sink.close()
smtp_thread.join(10)

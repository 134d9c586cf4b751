# Shape: a mail-to-chat bridge that keeps the SMTP loop responsive: a module-level
# concurrent.futures.ThreadPoolExecutor(max_workers=1); Bridge(smtpd.SMTPServer) whose
# **kwargs process_message decodes the data, pulls the Subject and the first body line and
# submits post_to_chat(channel, text) to the executor (the chat channel is the recipient's
# local part), returning "250 Queued for chat"; post_to_chat builds the JSON payload a
# webhook would get and prints it (the HTTP call is a stand-in); the loop is
# asyncore.loop() in try/except KeyboardInterrupt followed by executor.shutdown(wait=True)
# and a "bridge stopped" line.
import asyncore
import json
import smtpd
from concurrent.futures import ThreadPoolExecutor

from _record import record

executor = ThreadPoolExecutor(max_workers=1)


def post_to_chat(channel, text):
    payload = json.dumps({"channel": "#" + channel, "text": text}, sort_keys=True)
    print("POST /hooks/chat", payload, flush=True)


class Bridge(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        text = data.decode("utf-8", "replace")
        head, _, body = text.partition("\n\n")
        subject = ""
        for line in head.splitlines():
            if line.lower().startswith("subject:"):
                subject = line.split(":", 1)[1].strip()
        first = body.strip().splitlines()[0] if body.strip() else ""
        for rcpt in rcpttos:
            executor.submit(post_to_chat, rcpt.split("@")[0], "%s: %s" % (subject, first))
        return "250 Queued for chat"


if __name__ == "__main__":
    bridge = Bridge(("127.0.0.1", 0), None)
    print(bridge.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass
    executor.shutdown(wait=True)
    print("bridge stopped")

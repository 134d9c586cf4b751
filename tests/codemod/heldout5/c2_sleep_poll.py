# Shape: a red-team lab's C2 mail receiver: C2_SMTPServer(smtpd.SMTPServer) with
# process_message(**kwargs) printing f-strings and data.decode(errors="replace"), returning
# "250 Received" when the content holds a marker and "250 Got it" otherwise; module-level
# server and a `while True: asyncore.loop(timeout=1, count=1); time.sleep(0.01)` loop inside
# try/except KeyboardInterrupt that prints "Server Stopped.".
import asyncore
import smtpd
import time

from _record import record


class C2_SMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print(f"From: {mailfrom}")
        print(f"To: {rcpttos}")

        content = data.decode(errors="replace")
        print(f"Data:\n{content}")
        if "dot line" in content:
            return "250 Received"
        return "250 Got it"


server = C2_SMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)

try:
    print("SMTP Server started. Ctrl-C to stop.")
    while True:
        asyncore.loop(timeout=1, count=1)
        time.sleep(0.01)
except KeyboardInterrupt:
    print("Server Stopped.")

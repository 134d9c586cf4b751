# Shape: a hobby project's "Simple SMTP Server - Fixed for Python 3.11" script (its
# docstring says so): EmailServer(smtpd.SMTPServer) with a 4-argument process_message that
# prints one f-string line with an envelope emoji and an arrow (default decode_data:
# under 3.11 it still raises TypeError on every message, the "fix" notwithstanding), a
# start-up print, the server built at module level and a bare asyncore.loop() ended by
# Ctrl+C.
"""
Simple SMTP Server - Fixed for Python 3.11
"""
import asyncore
import smtpd

from _record import record


class EmailServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print(f"\U0001F4E7 Email: {mailfrom} \u2192 {rcpttos}")


print("Starting SMTP server...")
server = EmailServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

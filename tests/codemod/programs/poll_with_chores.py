# A lab relay's main loop: the server made at module level, then `while True:` that does
# its own chores (counting rounds, checking a stop file) and runs one pass of the legacy
# loop (timeout 0.2 s, count=1), inside try/except KeyboardInterrupt that prints a
# summary; replies chosen by the body's contents.
import asyncore
import os
import smtpd

from _record import record


class LabRelay(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("relay: %s -> %s" % (mailfrom, ", ".join(rcpttos)), flush=True)
        if b"dot line" in data:
            return "250 Relayed with dots"
        return "250 Relayed"


relay = LabRelay(("127.0.0.1", 0), None)
print(relay.socket.getsockname()[1], flush=True)
rounds = 0
try:
    while True:
        rounds += 1
        if os.path.exists("stop-relay"):
            print("stop file found", flush=True)
        asyncore.loop(timeout=0.2, count=1)
except KeyboardInterrupt:
    print("relay stopped", flush=True)

# Shape: a web app's end-to-end check script: a module-level `inbox` list, a
# Catcher(smtpd.SMTPServer) whose process_message(**kw) appends message_from_bytes(data),
# a Catcher built at module level and never kept, Thread(target=asyncore.loop,
# kwargs={"timeout": 0.5}, daemon=True).start(), then the script drives the app and
# checks what arrived with a check(label, ok) helper printing PASS/FAIL lines to stderr
# and a body_of() helper decoding the plain-text part; exit status 1 when a check failed.
# (The app is the harness here: the checks run once stdin closes; the Catcher is kept in a
# local so that its real port can be printed.)
import asyncore
import email
import smtpd
import sys
import threading

from _record import record

out, fails, inbox = sys.stderr, [], []


def check(label, ok):
    if not ok:
        fails.append(label)
    print(f"  {'PASS' if ok else 'FAIL'}  {label}", file=out)


def body_of(msg):
    """What a mail client shows: the decoded plain-text part."""
    part = msg.get_payload(0) if msg.is_multipart() else msg
    return part.get_payload(decode=True).decode()


class Catcher(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        record(peer, mailfrom, rcpttos, data, **kw)
        inbox.append(email.message_from_bytes(data))


catcher = Catcher(("127.0.0.1", 0), None)
threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.5}, daemon=True).start()
print(catcher.socket.getsockname()[1], flush=True)

sys.stdin.read()  # the app under test sends its mails meanwhile

check("some mail arrived", len(inbox) >= 1)
check("first subject", bool(inbox) and inbox[0]["Subject"] == "round trip")
check("first body keeps the dot line", bool(inbox) and ".dot line" in body_of(inbox[0]))
check("a mail to carol", any("carol" in str(m.get("To", "")) for m in inbox))
print(f"{len(inbox)} mails, {len(fails)} failed", file=out)
sys.exit(1 if fails else 0)

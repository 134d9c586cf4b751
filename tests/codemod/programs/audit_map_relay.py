# Two servers in one function: an audit sink on a private socket map with a loop thread of
# its own, and the front server on the shared map, served by a second loop thread,
# which copies every message to the audit sink with smtplib while it is being received.
import asyncore
import smtpd
import smtplib
import sys
import threading

from _record import record


class AuditSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        print("audited", mailfrom, len(data), flush=True)


class FrontServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        with smtplib.SMTP(*self._remoteaddr, timeout=10) as client:
            client.sendmail(mailfrom, ["audit@example.com"], data)
        print("front", mailfrom, rcpttos, flush=True)


def main():
    audit_map = {}
    audit = AuditSink(("127.0.0.1", 0), None, map=audit_map)
    audit_thread = threading.Thread(target=asyncore.loop, args=(0.1, False, audit_map))
    audit_thread.start()
    front = FrontServer(("127.0.0.1", 0), audit.socket.getsockname()[:2])
    front_thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
    front_thread.start()
    print(front.socket.getsockname()[1], flush=True)
    sys.stdin.readline()  # the test closes stdin when its dialogues are done
    front.close()
    asyncore.close_all(map=audit_map)
    front_thread.join(10)
    audit_thread.join(10)
    print("threads left:", front_thread.is_alive(), audit_thread.is_alive(), flush=True)


main()

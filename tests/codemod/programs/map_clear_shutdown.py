# A fixture that ends its loop thread by emptying the shared socket map (no close()), then
# joins the thread and reports what it received.
import asyncore
import smtpd
import sys
import threading

from _record import record


class Collector(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.senders = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.senders.append(mailfrom)


collector = Collector(("127.0.0.1", 0), None)
loop_thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True)
loop_thread.start()
print(collector.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
asyncore.socket_map.clear()
loop_thread.join(10)
print("loop ended:", not loop_thread.is_alive(), "senders:", collector.senders, flush=True)

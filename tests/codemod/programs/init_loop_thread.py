# A test double that serves itself: its __init__ binds (the base __init__), then starts
# a daemon thread running the loop; shutdown() closes it (smtpd's close()) and joins.
import asyncore
import smtpd
import sys
import threading

from _record import record


class SelfServingInbox(smtpd.SMTPServer):
    def __init__(self, port=0):
        self.messages = []
        smtpd.SMTPServer.__init__(self, ("127.0.0.1", port), None, decode_data=True)
        self.loop_thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
        self.loop_thread.daemon = True
        self.loop_thread.start()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.messages.append(data.splitlines()[0])

    def shutdown(self):
        self.close()
        self.loop_thread.join(10)
        return self.loop_thread.is_alive()


inbox = SelfServingInbox()
print(inbox.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
print("still serving:", inbox.shutdown(), flush=True)
print("first lines:", inbox.messages, flush=True)

# Shape: a notification service's test helpers: MockSMTP(smtpd.SMTPServer) whose
# __init__(localaddr, remoteaddr, messages=None) turns a None default into a fresh list,
# keeps it BEFORE calling the base by name, and whose **kwargs process_message appends
# (peer, mailfrom, rcpttos, data); SMTPServerThread(threading.Thread) taking the server
# and whose run() is a bare asyncore.loop(); MockSMTPClient, a wrapper whose __init__
# makes its own messages list, builds the server on a fixed port around that same list and
# starts the thread, get_emails() returning the list, stop() closing the server and
# joining the thread. (Port 0 here; the test body waits for stdin to close, then reads the
# list the server filled. The loop gets timeout=0.1 so that the join after close()
# returns at once: a select() on the closed socket would otherwise sit out its 30 s.)
import asyncore
import smtpd
import sys
import threading

from _record import record


class MockSMTP(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, messages=None):
        if messages is None:
            messages = []
        self.messages = messages
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.messages.append((peer, mailfrom, rcpttos, data))


class SMTPServerThread(threading.Thread):
    def __init__(self, server):
        super().__init__()
        self.server = server

    def run(self):
        asyncore.loop(timeout=0.1)


class MockSMTPClient:
    def __init__(self):
        self.messages = []
        self.server = MockSMTP(("127.0.0.1", 0), None, self.messages)
        self.thread = SMTPServerThread(self.server)
        self.thread.start()

    def get_emails(self):
        return self.messages

    def stop(self):
        self.server.close()
        self.thread.join()


if __name__ == "__main__":
    client = MockSMTPClient()
    print(client.server.socket.getsockname()[1], flush=True)
    try:
        sys.stdin.read()
        emails = client.get_emails()
        print("emails:", len(emails))
        print("same list:", emails is client.server.messages)
        print("recipients:", [rcpttos for _, _, rcpttos, _ in emails])
    finally:
        client.stop()
    print("thread alive:", client.thread.is_alive())

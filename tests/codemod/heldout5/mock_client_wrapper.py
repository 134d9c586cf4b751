# Shape: an app's mock e-mail client for tests: MockSMTPServer(smtpd.SMTPServer) with
# __init__(host='localhost', port=..., messages=None) that stores the caller's list and
# calls the base by name with a dummy remote ('', 0); process_message(**kwargs) appends a
# 4-tuple; get_emails(); SMTPServerThread(server) whose run() is a bare asyncore.loop();
# MockSMTPClient.__init__ builds both and starts the thread; stop() only closes the
# server (the join is commented out). (The thread is a daemon here: a bare loop keeps
# select()ing on the closed socket for up to 30 s.)
import asyncore
import smtpd
import sys
import threading

from _record import record


class MockSMTPServer(smtpd.SMTPServer):
    def __init__(self, host="localhost", port=0, messages=None):
        if messages is None:
            messages = []
        self.messages = messages
        smtpd.SMTPServer.__init__(self, (host, port), ("", 0))

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.messages.append((peer, mailfrom, rcpttos, data))

    def get_emails(self):
        return self.messages


class SMTPServerThread(threading.Thread):
    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server

    def run(self):
        asyncore.loop()


class MockSMTPClient:
    def __init__(self):
        self.messages = []
        self.server = MockSMTPServer(host="127.0.0.1", messages=self.messages)
        self.thread = SMTPServerThread(self.server)
        self.thread.start()

    def get_emails(self):
        return self.messages

    def stop(self):
        self.server.close()
        # self.thread.join()


if __name__ == "__main__":
    client = MockSMTPClient()
    print(client.server.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    client.stop()
    for peer, mailfrom, rcpttos, data in client.get_emails():
        print(peer[0], mailfrom, rcpttos, len(data))

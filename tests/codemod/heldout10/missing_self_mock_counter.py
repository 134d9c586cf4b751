# Shape: an old test helper's MockSMTPServer(smtpd.SMTPServer): a no-argument __init__
# calling the base by name with a relay tuple and then a dict of messages per sender, and
# a process_message written without self (peer, mailfrom, rcpttos, data): smtpd calls it
# with one argument too many and keywords it does not take, so every message raises
# TypeError and the connection drops; getMessagesDict(); MockMessage records; a bare
# asyncore.loop() in a __main__ block that prints the dict at ^C.
import asyncore
import smtpd  # present in python 2.x but undocumented until 2.4

from _record import record


class MockSMTPServer(smtpd.SMTPServer):
    """SMTP Server that keeps track of each message received.
    """
    def __init__(self):
        smtpd.SMTPServer.__init__(self, ("127.0.0.1", 0), ("localhost", 25))
        self._msgs_received = {}

    def process_message(peer, mailfrom, rcpttos, data):  # noqa: N805
        record(peer, mailfrom, rcpttos, data)
        msg_list = self._msgs_received.get(mailfrom, [])  # noqa: F821
        msg_list.append(MockMessage(rcpttos, data))
        self._msgs_received[mailfrom] = msg_list  # noqa: F821
        print("Processed %s" % mailfrom)

    def getMessagesDict(self):
        return self._msgs_received


class MockMessage:
    def __init__(self, recipients, data):
        self.recipients = recipients
        self.data = data


if __name__ == "__main__":
    server = MockSMTPServer()
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("messages:", server.getMessagesDict())

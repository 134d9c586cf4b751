# Shape: a mailing-list manager's test SMTP listener: Channel(smtpd.SMTPChannel) whose
# __init__ calls the base by name then stashes self._server ("the subclass uses private
# attributes"), a new EXIT verb answering 250 then stopping the server, a send() override
# swallowing socket.error (socket never imported); Server(localaddr, queue) calling the base
# with None, a Py2-style handle_accept building the Channel, a 4-argument process_message
# (default decode_data) that adds X-Peer/X-MailFrom/X-RcptTo headers to
# message_from_string(data) and puts it on a queue; start() runs asyncore.loop() and stop()
# does socket_map.clear(), close_all(), self.close(). The test run ends with EXIT.
import asyncore
import queue
import smtpd
from email import message_from_string

from _record import record

COMMASPACE = ", "


class Channel(smtpd.SMTPChannel):
    """A channel that can reset the mailbox."""

    def __init__(self, server, conn, addr):
        smtpd.SMTPChannel.__init__(self, server, conn, addr)
        # Stash this here since the subclass uses private attributes. :(
        self._server = server

    def smtp_EXIT(self, arg):
        """Respond to a new command EXIT by exiting the server."""
        self.push("250 Ok")
        self._server.stop()

    def send(self, data):
        """Silence the asynchat/asyncore broken pipe errors."""
        try:
            return smtpd.SMTPChannel.send(self, data)
        except socket.error:  # noqa: F821
            pass


class Server(smtpd.SMTPServer):
    """An SMTP server that stores messages to a mailbox."""

    def __init__(self, localaddr, queue):
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self._queue = queue

    def handle_accept(self):
        """Handle connections by creating our own Channel object."""
        conn, addr = self.accept()
        Channel(self, conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data):
        """Process a message by adding it to the mailbox."""
        record(peer, mailfrom, rcpttos, data)
        message = message_from_string(data)
        message["X-Peer"] = peer
        message["X-MailFrom"] = mailfrom
        message["X-RcptTo"] = COMMASPACE.join(rcpttos)
        self._queue.put(message)

    def start(self):
        """Start the asyncore loop."""
        asyncore.loop()

    def stop(self):
        """Stop the asyncore loop."""
        asyncore.socket_map.clear()
        asyncore.close_all()
        self.close()


if __name__ == "__main__":
    mailbox = queue.Queue()
    server = Server(("127.0.0.1", 0), mailbox)
    print(server.socket.getsockname()[1], flush=True)
    server.start()
    print("listener exited with %d queued" % mailbox.qsize())
    while not mailbox.empty():
        print(mailbox.get()["X-RcptTo"])

# Shape: a test-SMTP-server library (the one a mailing-list manager's tests used):
# Channel(smtpd.SMTPChannel) whose __init__(server, connection, address) stashes the
# server before calling the base by name, an EXIT verb that answers 250 and stops the
# server, smtp_RSET hijacked to reset the server then call the base, send() swallowing
# socket errors, and an add_channel(map=None) override that swaps self._map for the
# server's own socket_map before the base registers it; Server(smtpd.SMTPServer) with
# __init__(host, port) setting a private socket_map dict before the base init, then
# set_reuse_addr() and a log line, the same add_channel override, a Py2-style
# handle_accept, a 4-argument process_message (default decode_data: TypeError on every
# message under Python 3) that would parse the data with message_from_string, add
# X-Peer/X-MailFrom/X-RcptTo and call handle_message(), start() running
# asyncore.loop(map=self.socket_map), stop() doing asyncore.close_all(map=...) then
# close(); QueueServer(Server) putting messages on a queue and draining it on reset().
# (The test runs start() on a thread and ends it with EXIT, or when stdin closes.)
import asyncore
import logging
import queue
import smtpd
import socket
import sys
import threading
from email import message_from_string

from _record import record

COMMASPACE = ", "
log = logging.getLogger("lazr.smtptest")


class Channel(smtpd.SMTPChannel):
    """A channel that can reset the mailbox."""

    def __init__(self, server, connection, address):
        self._server = server
        smtpd.SMTPChannel.__init__(self, server, connection, address)

    def smtp_EXIT(self, argument):
        """EXIT - a new SMTP command to cleanly stop the server."""
        self.push("250 Ok")
        self._server.stop()

    def smtp_RSET(self, argument):
        """RSET - hijack this to reset the server instance."""
        self._server.reset()
        smtpd.SMTPChannel.smtp_RSET(self, argument)

    def send(self, data):
        """See `SMTPChannel.send()`."""
        try:
            return smtpd.SMTPChannel.send(self, data)
        except socket.error:  # noqa: UP024
            # Nothing here can affect the outcome.
            pass

    def add_channel(self, map=None):
        # Make _map the server's socket_map, as early as possible, without
        # copying the rest of SMTPChannel.__init__.
        if self._map is not self._server.socket_map:
            self._map = self._server.socket_map
        smtpd.SMTPChannel.add_channel(self, map)


class Server(smtpd.SMTPServer):
    """An SMTP server."""

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.socket_map = {}
        smtpd.SMTPServer.__init__(self, (host, port), None)
        self.set_reuse_addr()
        log.info("[SMTPServer] listening: %s:%s", host, port)

    def add_channel(self, map=None):
        if self._map is not self.socket_map:
            self._map = self.socket_map
        smtpd.SMTPServer.add_channel(self, map)

    def handle_accept(self):
        """Handle connections by creating our own Channel object."""
        connection, address = self.accept()
        log.info("[SMTPServer] accepted: %s", address[0])
        Channel(self, connection, address)

    def process_message(self, peer, mailfrom, rcpttos, data):
        """Process a received message."""
        record(peer, mailfrom, rcpttos, data)
        log.info("[SMTPServer] processing: %s, %s, %s, size=%s",
                 peer[0], mailfrom, rcpttos, len(data))
        message = message_from_string(data)
        message["X-Peer"] = peer[0]
        message["X-MailFrom"] = mailfrom
        message["X-RcptTo"] = COMMASPACE.join(rcpttos)
        self.handle_message(message)
        log.info("[SMTPServer] processed message: %s", message.get("message-id", "n/a"))

    def start(self):
        """Start the asyncore loop."""
        log.info("[SMTPServer] starting asyncore loop")
        asyncore.loop(map=self.socket_map)

    def stop(self):
        """Stop the asyncore loop."""
        asyncore.close_all(map=self.socket_map)
        self.close()

    def reset(self):
        """Do whatever you need to do on a reset."""
        log.info("[SMTPServer] reset")

    def handle_message(self, message):
        pass


class QueueServer(Server):
    """A server which puts messages in a queue."""

    def __init__(self, host, port, queue):
        Server.__init__(self, host, port)
        self.queue = queue

    def handle_message(self, message):
        self.queue.put(message)

    def reset(self):
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                break


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s %(message)s")
    messages = queue.Queue()
    server = QueueServer("127.0.0.1", 0, messages)
    thread = threading.Thread(target=server.start)
    thread.start()
    print(server.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    thread.join(5)
    print("loop ended:", not thread.is_alive(), "queued:", messages.qsize())

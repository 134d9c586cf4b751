# Shape: a mail-application framework's server module (Lamson style): SMTPReceiver(
# smtpd.SMTPServer) with a docstring, __init__(host='127.0.0.1', port=8825) storing host
# and port before calling the base by name; start() logging "SMTPReceiver started on
# host:port" and running asyncore.loop on a non-daemon threading.Thread with
# kwargs={'timeout': 0.1, 'use_poll': True} kept as self.poller; a 4-argument
# process_message(self, Peer, From, To, Data) with renamed parameters (default
# decode_data: TypeError on every message under Python 3) that would hand a
# MailRequest to routing.Router.deliver() inside a bare try/except logging.exception;
# and a close() override that does NOT close, only logs who called it
# (logging.error(traceback.format_exc())). The run command configures logging, builds
# the receiver, calls start() and waits on the poller. (Ctrl+C reaches that wait; the
# command then calls close(), which logs, and clears asyncore.socket_map so that the
# poller's loop ends; Router and MailRequest are small local stand-ins.)
import asyncore
import logging
import smtpd
import sys
import threading
import traceback

from _record import record


class MailRequest:
    def __init__(self, Peer, From, To, Data):
        self.Peer = Peer
        self.From = From
        self.To = To
        self.Data = Data


class Router:
    delivered = []

    @classmethod
    def deliver(cls, message):
        cls.delivered.append(message)
        logging.info("routed message for %r", message.To)


class SMTPReceiver(smtpd.SMTPServer):
    """Receives emails and hands it to the Router for further processing."""

    def __init__(self, host="127.0.0.1", port=8825):
        """
        Initializes to bind on the given port and host/ipaddress.  Call this
        after daemonizing, or the daemon will close the socket.
        """
        self.host = host
        self.port = port
        smtpd.SMTPServer.__init__(self, (self.host, self.port), None)

    def start(self):
        """
        Kicks everything into gear and starts listening on the port.  This
        fires off threads and waits until they are done.
        """
        logging.info("SMTPReceiver started on %s:%d." % (self.host, self.port))
        self.poller = threading.Thread(target=asyncore.loop,
                                       kwargs={"timeout": 0.1, "use_poll": True})
        self.poller.start()

    def process_message(self, Peer, From, To, Data):
        """
        Called by smtpd.SMTPServer when there's a message received.
        """
        record(Peer, From, To, Data)
        try:
            logging.debug("Message received from Peer: %r, From: %r, to To %r." %
                          (Peer[0], From, To))
            Router.deliver(MailRequest(Peer, From, To, Data))
        except:  # noqa: E722
            logging.exception("Exception while processing message from Peer: %r, From: %r, "
                              "to To %r." % (Peer[0], From, To))

    def close(self):
        """Doesn't do anything except log who called this, since nobody should.  Ever."""
        logging.error(traceback.format_exc())


def start_command():
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG,
                        format="%(levelname)s:%(name)s:%(message)s")
    receiver = SMTPReceiver("127.0.0.1", 0)
    print(receiver.socket.getsockname()[1], flush=True)
    receiver.start()
    try:
        receiver.poller.join()
    except KeyboardInterrupt:
        receiver.close()
        asyncore.socket_map.clear()
        receiver.poller.join()
    print("routed:", len(Router.delivered))


if __name__ == "__main__":
    start_command()

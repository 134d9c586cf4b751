# Shape: a mail-application framework's receiver (the Salmon fork of Lamson): a module
# constant SMTP_MULTIPLE_RCPTS_ERROR, a channel subclass named SMTPChannel(
# smtpd.SMTPChannel) whose smtp_RCPT reads the name-mangled self.__rcpttos (smtpd's own
# private, reachable because the class has the same name) and refuses a second RCPT
# with that error, else calls smtpd.SMTPChannel.smtp_RCPT by name; SMTPReceiver(
# smtpd.SMTPServer) with __init__(host, port) storing both then calling the base by name,
# start() running asyncore.loop on a threading.Thread kept as self.poller with
# kwargs={'timeout': 0.1, 'use_poll': True}, stop() closing and joining, a Py2-style
# handle_accept (pair = self.accept(), then SMTPChannel(self, conn, addr)), and
# process_message(Peer, From, To, Data, **kwargs) returning a module-level _deliver()
# that routes a MailRequest and turns an SMTPError into its reply string, logging any
# other exception and writing the undeliverable message aside. (The router is a local
# stand-in that raises SMTPError(550) for nobody@ and an error for boom@; the run command
# waits on the poller and stops the receiver on Ctrl+C.)
import asyncore
import logging
import smtpd
import sys
import threading

from _record import record

SMTP_MULTIPLE_RCPTS_ERROR = "451 Will not accept multiple recipients in one transaction"


class SMTPError(Exception):
    def __init__(self, code, message=None):
        self.code = code
        self.message = message or "Delivery failed"
        Exception.__init__(self, "%d %s" % (self.code, self.message))


class MailRequest:
    def __init__(self, Peer, From, To, Data):
        self.Peer = Peer
        self.From = From
        self.To = To
        self.Data = Data


class Router:
    @staticmethod
    def deliver(message):
        for to in message.To:
            if to.startswith("nobody@"):
                raise SMTPError(550, "No such user here")
            if to.startswith("boom@"):
                raise RuntimeError("handler blew up")
        logging.info("delivered to %s", message.To)


def undeliverable_message(raw_message, failure_type):
    with open("undeliverable.txt", "a") as f:
        f.write(failure_type + "\n")


def _deliver(receiver, Peer, From, To, Data, **kwargs):
    try:
        logging.debug("Message received from Peer: %r, From: %r, to To %r.", Peer[0], From, To)
        Router.deliver(MailRequest(Peer, From, To, Data))
    except SMTPError as err:
        # looks like they want to return an error, so send it out
        return str(err)
    except Exception:
        logging.exception("Exception while processing message from Peer: %r, From: %r, to To %r.",
                          Peer[0], From, To)
        undeliverable_message(Data, "Error in message %r:%r:%r, look in logs."
                              % (Peer[0], From, To))


class SMTPChannel(smtpd.SMTPChannel):
    """Replaces the standard SMTPChannel with one that rejects more than one recipient"""

    def smtp_RCPT(self, arg):
        if self.__rcpttos:
            # SMTP can only return one reply at the end of DATA, so a partly
            # delivered message has no good answer: refuse early instead.
            logging.warning("Client attempted to deliver mail with multiple RCPT TOs. "
                            "This is not supported.")
            self.push(SMTP_MULTIPLE_RCPTS_ERROR)
        else:
            smtpd.SMTPChannel.smtp_RCPT(self, arg)


class SMTPReceiver(smtpd.SMTPServer):
    """Receives emails and hands it to the Router for further processing."""

    def __init__(self, host="127.0.0.1", port=8825):
        self.host = host
        self.port = port
        smtpd.SMTPServer.__init__(self, (self.host, self.port), None)

    def start(self):
        logging.info("SMTPReceiver started on %s:%d.", self.host, self.port)
        self.poller = threading.Thread(target=asyncore.loop,
                                       kwargs={"timeout": 0.1, "use_poll": True})
        self.poller.start()

    def stop(self):
        self.close()
        self.poller.join()

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            SMTPChannel(self, conn, addr)

    def process_message(self, Peer, From, To, Data, **kwargs):
        """
        Called by smtpd.SMTPServer when there's a message received.
        """
        record(Peer, From, To, Data, **kwargs)
        return _deliver(self, Peer, From, To, Data, **kwargs)


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG,
                        format="%(levelname)s %(message)s")
    receiver = SMTPReceiver("127.0.0.1", 0)
    print(receiver.socket.getsockname()[1], flush=True)
    receiver.start()
    try:
        receiver.poller.join()
    except KeyboardInterrupt:
        logging.info("stopping")
        receiver.stop()


if __name__ == "__main__":
    main()

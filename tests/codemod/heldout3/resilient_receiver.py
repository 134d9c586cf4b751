# Shape: a mailing-list forwarder's receiver base: a ResilientSMTPChannel whose
# collect_incoming_data decodes as UTF-8 (logging and replacing on errors) before the
# base, log_info routed to logging, handle_error special-casing TimeoutError; an
# SMTPReceiver(host, port) with channel_class and super() init, a 4-argument
# process_message (default decode_data) wrapping the message and returning what
# handle_envelope returns, '451' on any error; a logging subclass prints the message.
import asyncore
import email
import logging
import smtpd
import sys

from _record import record

logging.basicConfig(stream=sys.stderr, level=logging.DEBUG, format="%(levelname)s %(message)s")


class ResilientSMTPChannel(smtpd.SMTPChannel):
    def collect_incoming_data(self, data):
        try:
            str_data = str(data, "utf-8")
        except UnicodeDecodeError:
            logging.error(
                "ResilientSMTPChannel.collect_incoming_data: UnicodeDecodeError "
                "encountered; decoding with errors=replace"
            )
            str_data = data.decode("utf-8", "replace")
        super(ResilientSMTPChannel, self).collect_incoming_data(  # noqa: UP008
            str_data.encode("utf-8")
        )

    def log_info(self, message, type_="info"):
        logger = getattr(logging, type_, logging.info)
        logger(message)

    def handle_error(self):
        exc_value = sys.exc_info()[1]
        if isinstance(exc_value, TimeoutError):
            logging.error("recv timed out; closing ResilientSMTPChannel")
            self.close()
        else:
            super(ResilientSMTPChannel, self).handle_error()  # noqa: UP008


class Envelope:
    def __init__(self, message, mailfrom, rcpttos):
        self.message = message
        self.mailfrom = mailfrom
        self.rcpttos = rcpttos


class SMTPReceiver(smtpd.SMTPServer):
    channel_class = ResilientSMTPChannel

    def __init__(self, host, port):
        self.host = host
        self.port = port
        super(SMTPReceiver, self).__init__((self.host, self.port), None)  # noqa: UP008
        logging.debug("Initialize SMTPReceiver on %s" % self.host)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        try:
            message = email.message_from_string(data)
            envelope = Envelope(message, mailfrom, rcpttos)
            logging.info(
                "Peer: %s MAIL FROM: %r RCPT TO: %r Subject: %r"
                % (peer[0], mailfrom, rcpttos, str(message["Subject"]))
            )
            return self.handle_envelope(envelope)
        except Exception:
            logging.exception("Could not handle envelope!")
            return "451 Requested action aborted: error in processing"

    def handle_envelope(self, envelope):
        raise NotImplementedError()


class LoggingReceiver(SMTPReceiver):
    """Message handler for --log mode"""

    def handle_envelope(self, envelope):
        print(" message ".center(79, "="))
        print(str(envelope.message))


if __name__ == "__main__":
    receiver = LoggingReceiver("127.0.0.1", 0)
    print(receiver.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        logging.info("stopped")

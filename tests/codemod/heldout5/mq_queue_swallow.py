# Shape: a mail-to-message-queue gateway: CustomSMTPServer(smtpd.SMTPServer) with
# __init__(local_addr, remote_addr, queue_host, queue_cred, queue_name) calling the base by
# name first; process_message(**kwargs) publishes the raw data to a broker inside
# try/except Exception that only logger.exception()s (the client always gets 250);
# serve(args) checks the broker connection first (returns 1 on an auth error), builds the
# server into an unused local and runs a bare loop; __main__ configures logging, parses
# argparse options and calls sys.exit(serve(args)). (The broker is a local stub that refuses
# non-ASCII payloads; the options get defaults instead of required=True.)
import argparse
import asyncore
import logging
import smtpd
import sys

from _record import record

logger = logging.getLogger(__name__)


class ProbableAuthenticationError(Exception):
    pass


class StubBroker:
    """Stands in for the message broker: one queue file per queue name."""

    def __init__(self, host, credentials):
        if credentials != ("guest", "guest"):
            raise ProbableAuthenticationError(host)
        self.host = host

    def publish(self, queue, body):
        if not body.isascii():
            raise ConnectionError("broker closed the channel")
        with open("queue-%s.txt" % queue, "ab") as f:
            f.write(body + b"\n")

    def close(self):
        pass


def get_pika_connection(host, credentials):
    return StubBroker(host, credentials)


def put_message(host, credentials, queue, payload):
    connection = get_pika_connection(host, credentials)
    connection.publish(queue, payload)
    logger.info("put %r" % payload)
    connection.close()


class CustomSMTPServer(smtpd.SMTPServer):
    def __init__(self, local_addr, remote_addr, queue_host, queue_cred, queue_name):
        smtpd.SMTPServer.__init__(self, local_addr, remote_addr)
        self.queue_host = queue_host
        self.queue_cred = queue_cred
        self.queue_name = queue_name

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        try:
            put_message(self.queue_host, self.queue_cred, self.queue_name, data)
        except Exception:
            logger.exception("failed to handle email %s", data)


def serve(args):
    credentials = (args.mq_user, args.mq_pass)

    try:
        get_pika_connection(args.mq_host, credentials)
    except ProbableAuthenticationError:
        logger.error("authorization failed")
        return 1

    server = CustomSMTPServer((args.host, args.port), None, args.mq_host, credentials, args.queue)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()


if __name__ == "__main__":
    logging.basicConfig(format="%(levelname)s : %(message)s", level=logging.INFO)
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue", help="queue name of the broker", default="email")
    parser.add_argument("--mq_host", help="broker host", default="127.0.0.1")
    parser.add_argument("--mq_user", help="broker user", default="guest")
    parser.add_argument("--mq_pass", help="broker pass", default="guest")
    parser.add_argument("--host", help="host to listen", default="127.0.0.1")
    parser.add_argument("--port", help="port to listen", type=int, default=0)
    args = parser.parse_args()

    sys.exit(serve(args))

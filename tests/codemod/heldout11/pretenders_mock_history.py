# Shape: an HTTP-controlled mock-server library's SMTP "pretender": MockSMTPServer(
# smtpd.SMTPServer, Pretender) whose __init__(host, port, **kwargs) calls both bases by
# name (the Pretender keeps a name, a history list and presets) and logs "Initialised
# MockSMTPServer"; a 4-argument process_message (default decode_data: TypeError on every
# message under Python 3) that would serialise the envelope and data to JSON, log it and
# store it in the history; run() logs and runs a bare asyncore.loop(); the server is
# started through the Pretender's classmethod start(), which parses argv.
import argparse
import asyncore
import json
import logging
import smtpd
import sys

from _record import record

logging.basicConfig(stream=sys.stderr, format='%(name)s %(levelname)s %(message)s',
                    level=logging.INFO)
LOGGER = logging.getLogger('pretenders.server.mock_servers.smtp.server')


class Pretender(object):
    def __init__(self, host, port, name='smtp', **kwargs):
        self.host = host
        self.name = name
        self.history = []
        self.presets = []

    def store_history_retrieve_preset(self, body):
        self.history.append(body)
        return self.presets.pop(0) if self.presets else None

    @classmethod
    def start(cls):
        parser = argparse.ArgumentParser(description='Start the server')
        parser.add_argument('-H', '--host', dest='host', default='127.0.0.1')
        parser.add_argument('-p', '--port', dest='port', type=int, default=0)
        parser.add_argument('-n', '--name', dest='name', default='smtp-mock')
        args = parser.parse_args()
        server = cls(host=args.host, port=args.port, name=args.name)
        print(server.socket.getsockname()[1], flush=True)
        server.run()


class SMTPSerialiser(object):
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def serialize(self):
        return json.dumps(self.__dict__, sort_keys=True)


class MockSMTPServer(smtpd.SMTPServer, Pretender):

    def __init__(self, host, port, **kwargs):
        smtpd.SMTPServer.__init__(self, (host, port), None)
        Pretender.__init__(self, host=host, port=port, **kwargs)
        LOGGER.info("Initialised MockSMTPServer")

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        smtp_info = SMTPSerialiser(
            peer=peer[0], mailfrom=mailfrom, rcpttos=rcpttos, data=data,
            rule='')
        body = smtp_info.serialize()
        LOGGER.info("Storing SMTP message: \n{0}".format(body))
        self.store_history_retrieve_preset(body)
        return

    def run(self):
        "Runner for the MockSMTPServer"
        LOGGER.info("Running SMTP mock server")
        asyncore.loop()


if __name__ == "__main__":
    MockSMTPServer.start()
    LOGGER.info("SMTP mock server stopped")

# Shape: a test-server library's SMTP half: a module RLock and logger, start_smtp_server()
# and a @contextlib.contextmanager smtp_server() around it; SmtpServer(smtpd.SMTPServer,
# Thread) whose __init__(host, port) calls Thread.__init__ first, then the SMTPServer base
# by name, sets _data, _history, _continue and daemon; a classmethod start_server() makes
# and starts it; a 4-argument process_message (default decode_data: TypeError on every
# message under Python 3) that would update the state and save it to the history
# (Parser().parsestr of the data); data and history are properties under the RLock,
# port reads the socket; run() polls asyncore.loop(timeout=0.01, count=1) while
# _continue; stop() clears it and closes. The test waits for stdin to close.
import asyncore
import contextlib
import email.parser
import logging
import smtpd
import sys
from threading import RLock, Thread

from _record import record

lock = RLock()
log = logging.getLogger('httptestserver.smtp')

DEFAULT_HOST = '127.0.0.1'               # loopback
DEFAULT_PORT = 0                         # random port


def start_smtp_server(host=None, port=None):
    return SmtpServer.start_server(host or DEFAULT_HOST, port or DEFAULT_PORT)


@contextlib.contextmanager
def smtp_server(*args, **kwargs):
    server = start_smtp_server(*args, **kwargs)
    yield server
    server.stop()


class SmtpServer(smtpd.SMTPServer, Thread):
    def __init__(self, host, port):
        Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, (host, port), None)
        self._data = {}
        self._history = []
        self._continue = True
        self.daemon = True  # finish along with parent process

    @classmethod
    def start_server(cls, host, port):
        log.info('Starting http server %s:%d', host, port)
        server = cls(host, port)
        server.start()
        return server

    def process_message(self, peer, mailfrom, rcpttos, data):
        """Process a received smtp message"""
        record(peer, mailfrom, rcpttos, data)
        self.update_state(peer, mailfrom, rcpttos, data)
        self.save_history()

    def update_state(self, peer, mailfrom, rcpttos, data):
        self.data.update(dict(
            peer=peer,
            mailfrom=mailfrom,
            recipients=rcpttos,
            message_data=data,
            message=self.parse_message(data)
        ))

    def save_history(self):
        self._history.append(dict(self.data))

    def parse_message(self, data):
        return email.parser.Parser().parsestr(data)

    @property
    def data(self):
        with lock:
            return self._data

    @property
    def history(self):
        with lock:
            return self._history

    @property
    def port(self):
        return self.socket.getsockname()[1]

    def stop(self):
        self._continue = False
        self.close()

    def run(self):
        try:
            log.info('Starting server')
            while(self._continue):
                asyncore.loop(timeout=0.01, count=1)
        finally:
            log.info('Stopped server')


if __name__ == '__main__':
    with smtp_server() as server:
        print(server.port, flush=True)
        sys.stdin.read()  # the tests send their mail here
        print('history:', len(server.history))
        for entry in server.history:
            print(entry['mailfrom'], entry['recipients'], entry['message']['subject'])
    print('stopped')

# Shape: a groupware server's SMTP listener service (Python 2 era): a class named
# SMTPServer(smtpd.SMTPServer) whose __init__(manager) reads the listen address and port
# from a defaults manager and calls the base by name; a renamed 4-argument
# process_message(self, peer, from_, to_, data) (default decode_data: TypeError on every
# message under Python 3) that enqueues (from_, to_, data) on its manager; SMTPService
# keeps the queue and its lock behind properties, makes the server with itself as the
# manager and polls asyncore.loop(timeout=..., count=1) in its work loop, draining the
# queue between polls; ^C ends the loop and the service reports what is left.
import asyncore
import smtpd
import threading

from _record import record


class ServerDefaultsManager(object):
    DEFAULTS = {'SMTPListenAddress': '127.0.0.1', 'SMTPListenPort': 0}

    def string_for_default(self, key, value):
        return str(self.DEFAULTS.get(key, value))

    def integer_for_default(self, key, value):
        return int(self.DEFAULTS.get(key, value))


class SMTPServer(smtpd.SMTPServer):

    def __init__(self, manager):
        self.manager = manager
        sd = ServerDefaultsManager()
        SMTP_ADDR = sd.string_for_default('SMTPListenAddress', '127.0.0.1')
        SMTP_PORT = sd.integer_for_default('SMTPListenPort', 25252)
        smtpd.SMTPServer.__init__(self, (SMTP_ADDR, SMTP_PORT), None)

    def process_message(self, peer, from_, to_, data):
        record(peer, from_, to_, data)
        # TODO: Verify one of the recipients is a candidate
        # TODO: discard messgaes over a given size?
        self.manager.enqueue_message((from_, to_, data))


class SMTPService(object):
    __service__ = 'coils.smtpd'

    def __init__(self):
        self._queue = []
        self._queue_lock = threading.Lock()
        self._prefix = 'OGo'
        self.server = SMTPServer(self)

    @property
    def queue(self):
        return self._queue

    @property
    def queue_lock(self):
        return self._queue_lock

    @property
    def smtp_prefix(self):
        return self._prefix

    def enqueue_message(self, message):
        with self.queue_lock:
            self.queue.append(message)

    def work(self):
        while True:
            asyncore.loop(timeout=0.2, count=1)
            with self.queue_lock:
                while self.queue:
                    from_, to_, data = self.queue.pop(0)
                    print('%s: message from %s for %s (%d bytes)' % (
                        self.smtp_prefix, from_, ','.join(to_), len(data)))


if __name__ == '__main__':
    service = SMTPService()
    print(service.server.socket.getsockname()[1], flush=True)
    try:
        service.work()
    except KeyboardInterrupt:
        print('%s stopping, %d queued' % (service.__service__, len(service.queue)))
        service.server.close()

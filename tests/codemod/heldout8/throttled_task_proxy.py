# Shape: a web project's "throttled" outgoing relay: ThrottledProxy(smtpd.PureProxy) that
# overrides only _deliver(mailfrom, rcpttos, data) to hand the message to a task queue
# (a Celery task's .delay(mailfrom=..., rcpttos=..., data=...)) instead of relaying
# itself; PureProxy's own 4-argument process_message is kept (default decode_data:
# TypeError on every message under Python 3, so _deliver is never reached); the server is
# built at module level with a real-looking upstream ('127.0.0.1', 1026) and a bare
# asyncore.loop() follows. (The task queue is a small stand-in with a delay() method.)
import asyncore
import smtpd

from _record import record


class _Task(object):  # noqa: UP004
    def __init__(self, name):
        self.name = name
        self.queued = []

    def delay(self, **kwargs):
        self.queued.append(kwargs)
        print("queued task", self.name, kwargs["rcpttos"])


class tasks(object):  # noqa: UP004
    send_email = _Task("base.tasks.send_email")


class ThrottledProxy(smtpd.PureProxy):
    def _deliver(self, mailfrom, rcpttos, data):
        record(None, mailfrom, rcpttos, data)
        tasks.send_email.delay(mailfrom=mailfrom, rcpttos=rcpttos, data=data)


server = ThrottledProxy(("127.0.0.1", 0), ("127.0.0.1", 1026))
print(server.socket.getsockname()[1], flush=True)

asyncore.loop()

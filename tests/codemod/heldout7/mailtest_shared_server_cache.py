# Shape: a small "mailtest" library for app tests (its later version): _SMTPServer(
# smtpd.SMTPServer) with a 4-argument process_message that builds an Email namedtuple
# and calls every callback in self.callbacks (a dict set on the server from outside); a
# module-level _smtp_servers cache keyed by port so that nested or repeated Server
# context managers share one listening server; Server(object).__init__(smtp_port=1025,
# sendgrid_port=None) with an optional WSGI mock of a mail API; _start_smtp_server()
# building the cached server with decode_data=True only when sys.version_info[0] >= 3,
# starting a daemon Thread(target=asyncore.loop) for it once, and registering
# callbacks[id(self)]; __enter__ starting what is configured, __exit__ removing its
# callback (the server and its loop stay up for the next user). (The mail-API mock is a
# plain WSGI function instead of a bottle app and is not started; two nested context
# managers on port 0 share the server; the test waits for stdin to close.)
import asyncore
import collections
import json
import smtpd
import sys
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from _record import record

__version__ = "1.1.0"


class _SMTPServer(smtpd.SMTPServer):

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        email = Email(frm=mailfrom, to=rcpttos, msg=data)
        for callback in self.callbacks.values():
            callback(email)


_smtp_servers = {}


class Server(object):  # noqa: UP004

    def __init__(self, smtp_port=1025, sendgrid_port=None):
        self._smtp_port = smtp_port
        self._sendgrid_port = sendgrid_port
        self._sendgrid_server = None
        self.emails = []
        if sendgrid_port:
            def app(environ, start_response):
                body = json.loads(environ["wsgi.input"].read() or b"{}")
                for p in body.get("personalizations", []):
                    self.emails.append(Email(frm=body["from"]["email"],
                                             to=[a["email"] for a in p["to"]],
                                             msg=json.dumps(p, indent=2)))
                start_response("200 OK", [("Content-Type", "application/json")])
                return [b"{}"]
            self._sendgrid_app = app

    def _callback(self, email):
        self.emails.append(email)

    def _start_smtp_server(self):
        _smtp_server = _smtp_servers.get(self._smtp_port)
        if not _smtp_server:
            if sys.version_info[0] < 3:  # noqa: UP036
                _smtp_server = _SMTPServer(("127.0.0.1", self._smtp_port), None)
            else:
                _smtp_server = _SMTPServer(("127.0.0.1", self._smtp_port), None,
                                           decode_data=True)
            _smtp_servers[self._smtp_port] = _smtp_server
            _smtp_server.callbacks = {}
            t = threading.Thread(target=asyncore.loop)
            t.daemon = True
            t.start()
        _smtp_server.callbacks[id(self)] = self._callback

    def _start_sendgrid_server(self):
        def f():
            self._sendgrid_server = make_server("127.0.0.1", self._sendgrid_port,
                                                self._sendgrid_app, WSGIServer,
                                                WSGIRequestHandler)
            self._sendgrid_server.serve_forever(poll_interval=.1)
        t = threading.Thread(target=f)
        t.start()
        time.sleep(.1)

    def __enter__(self):
        if self._smtp_port is not None:
            self._start_smtp_server()
        if self._sendgrid_port:
            self._start_sendgrid_server()
        return self

    def __exit__(self, type, value, tb):
        if self._smtp_port is not None:
            del _smtp_servers[self._smtp_port].callbacks[id(self)]
        if self._sendgrid_server:
            self._sendgrid_server.shutdown()
            self._sendgrid_server.server_close()


Email = collections.namedtuple("Email", ["frm", "to", "msg"])


if __name__ == "__main__":
    with Server(smtp_port=0) as outer:
        with Server(smtp_port=0) as inner:
            print(_smtp_servers[0].socket.getsockname()[1], flush=True)
            sys.stdin.read()
        print("inner saw:", len(inner.emails), "outer saw:", len(outer.emails))
        print("first:", outer.emails[0].frm, outer.emails[0].to)
    print("callbacks left:", len(_smtp_servers[0].callbacks))

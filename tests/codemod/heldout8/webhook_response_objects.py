# Shape: a "mail to web hook" daemon (gevent-patched in the original): SMTPResponse
# objects (code and text class attributes, __str__ joining them; SMTPSuccess is "200
# Success", SMTPUnavailable "450 Unavailable") flattened to strings by a lambda before
# they are returned; SMTPChannel(smtpd.SMTPChannel, object) whose __init__(*args,
# **kwargs) calls super() then keeps a logger; WebHookSMTPServer(smtpd.SMTPServer, object)
# with channel_class = SMTPChannel, __init__(localaddr, remoteaddr, endpoint) using super()
# then keeping the endpoint and a logger, a Py2-style handle_accept building
# self.channel_class(self, conn, addr), a 4-argument process_message(peer, from_address,
# recipient_addresses, data) (default decode_data: TypeError on every message under
# Python 3) that would add X- headers, POST the message and return None or a 450 response,
# and start() running asyncore.loop() in try/finally logging; main() configures logging
# with logging.config.fileConfig and reads the host/port/endpoint with ConfigParser from an
# ini file; the main block catches KeyboardInterrupt and logs 'goodbye' in finally.
# (The ini file is written next to the program on its first run, port 0 in it; gevent is
# left out; the endpoint is a name that is never contacted since the method never runs.)
import asyncore
import email
import logging
import logging.config
import os
import smtpd
import urllib.request
from configparser import ConfigParser

from _record import record

CONFIG_PATH = "webhook-smtpd.ini"
USER_AGENT = "WebHookSMTPd/0.0"
DEFAULT_CONFIG = """[webhook-smtpd]
host = 127.0.0.1
port = 0
endpoint = http://hooks.invalid/mail

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = plain

[logger_root]
level = DEBUG
handlers = console

[handler_console]
class = StreamHandler
level = DEBUG
formatter = plain
args = (sys.stderr,)

[formatter_plain]
format = %(name)s %(levelname)s %(message)s
"""

log = logging.getLogger("webhook-smtpd")


class SMTPResponse(object):  # noqa: UP004
    def __init__(self, code=None, text=None):
        self.code = code or self.__class__.code
        self.text = text or self.__class__.text

    def __str__(self):
        return "%s %s" % (self.code, self.text)


class SMTPSuccess(SMTPResponse):
    code = 200
    text = "Success"


class SMTPUnavailable(SMTPResponse):
    code = 450
    text = "Unavailable"


flatten_response = lambda rv: str(rv) if isinstance(rv, SMTPResponse) else rv  # noqa: E731


class SMTPChannel(smtpd.SMTPChannel, object):  # noqa: UP004
    def __init__(self, *args, **kwargs):
        super(SMTPChannel, self).__init__(*args, **kwargs)  # noqa: UP008
        self.log = logging.getLogger(self.__class__.__name__)


class WebHookSMTPServer(smtpd.SMTPServer, object):  # noqa: UP004

    channel_class = SMTPChannel

    def __init__(self, localaddr, remoteaddr, endpoint):
        super(WebHookSMTPServer, self).__init__(localaddr, remoteaddr)  # noqa: UP008
        self.endpoint = endpoint
        self.log = logging.getLogger(self.__class__.__name__)

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            self.channel_class(self, conn, addr)

    def process_message(self, peer, from_address, recipient_addresses, data):
        record(peer, from_address, recipient_addresses, data)
        peer_ip, peer_port = peer
        message = email.message_from_string(data)
        message["X-Peer-IP"] = peer_ip
        message["X-From-Address"] = from_address
        message["X-Recipient-Addresses"] = "; ".join(recipient_addresses)
        self.log.info("Dispatching email to %s", self.endpoint)
        body = message.as_string().encode()
        request = urllib.request.Request(self.endpoint, data=body,
                                         headers={"User-agent": USER_AGENT})
        try:
            urllib.request.urlopen(request)
            rv = None
        except OSError:
            self.log.exception("Could not post message to endpoint %s", self.endpoint)
            rv = SMTPUnavailable()
        return flatten_response(rv)

    def start(self):
        self.log.debug("Starting server...")
        try:
            asyncore.loop()
        finally:
            self.log.debug("Server closed.")


def main():
    if not os.path.exists(CONFIG_PATH):
        with open(CONFIG_PATH, "w") as f:
            f.write(DEFAULT_CONFIG)
    logging.config.fileConfig(CONFIG_PATH)

    config = ConfigParser(interpolation=None)
    config.read(CONFIG_PATH)

    localaddr = (config.get("webhook-smtpd", "host"), config.getint("webhook-smtpd", "port"))
    remoteaddr = None
    endpoint = config.get("webhook-smtpd", "endpoint")
    server = WebHookSMTPServer(localaddr, remoteaddr, endpoint)
    print(server.socket.getsockname()[1], flush=True)
    server.start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
    finally:
        log.debug("goodbye")

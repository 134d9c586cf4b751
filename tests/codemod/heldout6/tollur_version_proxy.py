# Shape: a scriptable SMTP proxy: SMTPProxy(smtpd.SMTPServer) whose long keyword __init__
# (server address/port, upstream, credentials, TLS options, handler) sets attributes
# before super(SMTPProxy, self).__init__(local, (upstream, port)); a Py2-style
# handle_accept keeping the newest channel in self.channel; process_message(self, peer,
# sender, recipients, data) with renamed parameters and no kwargs (TypeError on every
# message under Python 3) that asks a handler plugin, pushes 550/451 through self.channel
# itself and delivers with smtplib; main() parses an INI configuration, sets up a named
# logger on stderr, sets smtpd.__version__ = 'SMTP PROXY' and smtpd.DEBUGSTREAM to a
# DebugToLog writer, builds the proxy in try/except (exit 1), logs "Starting", then
# try: asyncore.loop() except KeyboardInterrupt: exit 3. (The configuration is an inline
# string and the handler a local class instead of a file and a plugin module; upstream TLS
# is off.)
import asyncore
import configparser
import logging
import smtpd
import smtplib
import sys
import uuid

from _record import record

_log = logging.getLogger("tollur")

CONFIGURATION = """
[main]
log_dest = stderr
log_level = info
handler = allow_example
iunderstandwhatiamdoing = yes

[server]
address = 127.0.0.1
port = 0

[upstream]
address = 127.0.0.1
port = 9
user =
password =
tls_mode =

[handler-allow_example]
allowed_domain = example.com
"""


class DebugToLog:
    """Writes smtpd's debug stream to standard logging"""

    def write(self, msg):
        if str(msg).strip():
            _log.debug('EXT: smtpd debug stream: "%s"' % str(msg))

    def flush(self):
        pass


class MailMessage:
    """Object used by handler plugin to manipulate forwarded message"""

    def __init__(self, peer, sender, recipients, data):
        self.peer = peer
        self.sender = sender
        self.recipients = recipients
        self.data = data
        self.mid = uuid.uuid4()


class Handler:
    """Stands in for a handler plugin: forwards mail for one domain."""

    def __init__(self, conf):
        self.domain = conf["allowed_domain"]

    def process(self, msg):
        return all(r.endswith("@" + self.domain) for r in msg.recipients), msg


class SMTPProxy(smtpd.SMTPServer):
    """SMTP proxy with manual confirmation of outgoing messages"""

    def __init__(self, server_address="127.0.0.1", server_port=9025, upstream_address=None,
                 upstream_port=25, user=None, password=None, tls_mode="start_tls",
                 handler=None):
        self.server_address = str(server_address)
        self.server_port = int(server_port)
        if upstream_address is None or handler is None:
            raise TypeError('Argument "upstream_address" and "handler" are required')
        self.upstream_address = upstream_address
        self.upstream_port = int(upstream_port)
        self.user = user
        self.password = password
        self.tls_mode = tls_mode
        self.handler = handler
        super(SMTPProxy, self).__init__(  # noqa: UP008
            (self.server_address, self.server_port), (self.upstream_address, self.upstream_port)
        )

    def handle_accept(self):
        """Modified connection handler, as the super does not expose channel"""
        pair = self.accept()
        if pair is not None:
            connection, address = pair
            _log.debug("Incoming connection from %s" % repr(address))
            self.channel = smtpd.SMTPChannel(self, connection, address)

    def _deliver(self, msg):
        _log.info('Delivering message with ID "%s" from "%s" to "%s"'
                  % (msg.mid, msg.sender, msg.recipients))
        try:
            ses = smtplib.SMTP(self.upstream_address, self.upstream_port, timeout=5)
            if self.user and self.password:
                ses.login(self.user, self.password)
            ses.sendmail(msg.sender, msg.recipients, msg.data)
        except Exception as error_msg:
            _log.error('Failed to deliver message with ID "%s": "%s"' % (msg.mid, error_msg))
            self.channel.push('451 Error: Could not deliver ID "%s"' % msg.mid)
            return
        finally:
            try:
                ses.quit()
            except UnboundLocalError:
                pass
            except Exception as error_msg:
                _log.debug('Failed to close session gracefully for ID "%s": "%s"'
                           % (msg.mid, error_msg))
        return

    def process_message(self, peer, sender, recipients, data):
        """Calls handler to check if incoming e-mail should be sent"""
        record(peer, sender, recipients, data)
        msg = MailMessage(peer, sender, recipients, data)
        _log.info('Proxy received incoming mail - sender: "%s", recipients: "%s"'
                  % (msg.sender, msg.recipients))
        try:
            forward, msg = self.handler.process(msg)
            if forward:
                _log.info("Handler accepted message")
                self._deliver(msg)
                return
            else:
                _log.error("Handler did not accept message")
                self.channel.push('550 Error: ID "%s" was denied by handler' % msg.mid)
                return
        except Exception as error_msg:
            raise Exception('Handler raised unhandled exception: "%s"' % error_msg)  # noqa: B904


def setup_logging(dest, level):
    log_formatter = logging.Formatter("tollur: %(levelname)s - %(message)s")
    if level == "debug":
        _log.setLevel(logging.DEBUG)
    elif level == "error":
        _log.setLevel(logging.ERROR)
    else:
        _log.setLevel(logging.INFO)
    if dest == "stderr":
        log_handler = logging.StreamHandler()
    log_handler.setFormatter(log_formatter)
    _log.addHandler(log_handler)


def main():
    conf = configparser.ConfigParser()
    conf.read_string(CONFIGURATION)
    setup_logging(conf["main"]["log_dest"], conf["main"]["log_level"])
    if not conf.getboolean("main", "iunderstandwhatiamdoing"):
        _log.error("Tollur is experimental software")
        sys.exit(3)
    handler = Handler(conf["handler-" + conf["main"]["handler"]])

    # Needed to prevent information leakage from the SMTP server
    smtpd.__version__ = "SMTP PROXY"
    smtpd.DEBUGSTREAM = DebugToLog()

    try:
        smtp_server = SMTPProxy(
            conf["server"]["address"], int(conf["server"]["port"]),
            conf["upstream"]["address"], int(conf["upstream"]["port"]),
            conf["upstream"]["user"], conf["upstream"]["password"],
            conf["upstream"]["tls_mode"], handler)
    except Exception as error_msg:
        _log.error('Failed to configure SMTP proxy: "%s"' % error_msg)
        sys.exit(1)

    print(smtp_server.socket.getsockname()[1], flush=True)
    _log.info("Starting Tollur SMTP proxy - listening on %s:%i..."
              % (conf["server"]["address"], int(conf["server"]["port"])))
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        _log.info("Tollur was interrupted by keyboard - exiting...")
        sys.exit(3)
    except Exception as error_msg:
        _log.error('SMTP proxy generated unhandled error: "%s"' % error_msg)
        sys.exit(1)


if __name__ == "__main__":
    main()

# Shape: a small "SMTP put-through" relay service: SMTPuttServer(SMTPServer) imported with
# `from smtpd import SMTPServer`, channel_class set to its own channel, __init__(module_cfgs,
# **kwargs) that builds fixer/relay module lists with import_module from comma-separated
# kwargs and the listen tuple from kwargs before super().__init__(tuple, None); a
# handle_accepted override that builds channel_class with every private server attribute
# (data_size_limit, _map, enable_SMTPUTF8, _decode_data) and keeps it in self.channels; a
# handle_close override printing 'close'; process_message(**kwargs) decoding utf-8, parsing
# with message_from_string, running fixers then relays; serve_thread(daemonize) runs
# Thread(target=asyncore.loop). The channel checks the peer against listen networks.
import asyncore
import email
import ipaddress
import logging
import sys
from email.message import EmailMessage
from importlib import import_module
from smtpd import SMTPChannel, SMTPServer
from threading import Thread

from _record import record


class SMTPuttChannel(SMTPChannel):
    """Refuses MAIL from peers outside the server's listen networks."""

    def smtp_MAIL(self, arg):
        peer_ip = ipaddress.ip_address(self.addr[0])
        if not any(peer_ip in ipaddress.ip_network(n) for n in self.smtp_server.networks):
            self.push("550 5.7.1 Relaying denied for %s" % self.addr[0])
            return
        super().smtp_MAIL(arg)


class FIXER:
    def __init__(self, tag="smtputt"):
        self.tag = tag

    def process_email(self, peer, msg):
        msg["X-Fixed-By"] = self.tag
        return msg


class RELAY:
    def __init__(self, spool="relayed.txt", **kwargs):
        self.spool = spool

    def send_email(self, msg):
        with open(self.spool, "a") as f:
            f.write("%s -> %s: %s\n" % (msg["From"], msg["To"], msg["Subject"]))


class SMTPuttServer(SMTPServer):
    """SMTP listener. Listens for messages and dispatches them for processing."""

    channel_class = SMTPuttChannel

    def __init__(self, module_cfgs, **kwargs):
        self.logger = logging.getLogger("server")
        self.thread: Thread
        self.module_cfgs = module_cfgs
        self.fixer_modules = [import_module(m) \
            for m in kwargs["fixermodules"].split(",")] if \
            "fixermodules" in kwargs else []
        self.relay_modules = [import_module(m) \
            for m in kwargs["relaymodules"].split(",")] if \
            "relaymodules" in kwargs else []
        self.networks = kwargs["listennetworks"].split(",") \
            if "listennetworks" in kwargs else ["127.0.0.1/32"]
        self.channels: "list[SMTPuttChannel]"  # noqa: UP037
        self.channels = []
        self.kwargs = kwargs
        self.listen_tuple = (
            kwargs["listenhost"] if "listenhost" in kwargs else "0.0.0.0",
            int(kwargs["listenport"]) if "listenport" in kwargs else 25,
        )
        super().__init__(self.listen_tuple, None)

    def fix_message(self, peer, msg: EmailMessage):
        for module in self.fixer_modules:
            fixer = module.FIXER(**self.module_cfgs[module.__loader__.name])
            msg = fixer.process_email(peer, msg)
        return msg

    def serve_thread(self, daemonize=False):
        self.logger.info("starting server on %s...", self.listen_tuple[0])
        self.thread = Thread(target=asyncore.loop)
        self.thread.daemon = daemonize
        self.thread.start()
        return self.thread

    def handle_accepted(self, conn, addr):
        self.logger.debug("Incoming connection from %s", repr(addr))
        channel = self.channel_class(
            self, conn, addr, self.data_size_limit, self._map,
            self.enable_SMTPUTF8, self._decode_data
        )
        self.channels.append(channel)

    def handle_close(self):
        print("close")
        super().handle_close()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.logger.info("connection established by %s", peer[0])
        msg = email.message_from_string(data.decode("utf-8"))
        self.logger.info("incoming message from %s to %s", msg["From"], msg["To"])
        msg = self.fix_message(peer, msg)
        for module in self.relay_modules:
            relay = module.RELAY(**self.module_cfgs[module.__loader__.name])
            relay.send_email(msg)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
    server = SMTPuttServer(
        {"__main__": {}},
        listenhost="127.0.0.1",
        listenport="0",
        fixermodules="__main__",
        relaymodules="__main__",
    )
    print(server.socket.getsockname()[1], flush=True)
    server.serve_thread(daemonize=True)
    sys.stdin.read()
    print("served %d connections" % len(server.channels))

# Shape: a milter-like filtering proxy: MilterProxy(smtpd.PureProxy) whose __init__(name,
# basedir, localaddr, remoteaddr, milter) calls smtpd.PureProxy.__init__ by name with
# decode_data=True, logs "<name> start <basedir>" and gets a logger named after the proxy;
# process_message (4 arguments, the data is text) asks the milter, logs and returns
# "550 5.7.1 Rejected by <name>" for a rejected message, otherwise writes the message into
# <basedir>/accepted and hands it to PureProxy.process_message, whose _deliver fails on
# the unreachable upstream (a closed local port) and reports the refusals to smtpd's
# DEBUGSTREAM (nowhere); logging to stderr at INFO; asyncore.loop() in try/except
# KeyboardInterrupt that logs the counts.
import asyncore
import logging
import os
import smtpd
import socket

from _record import record

logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")


class KeywordMilter:
    def __init__(self, words):
        self.words = [w.lower() for w in words]

    def check(self, data):
        body = data.lower()
        return not any(w in body for w in self.words)


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class MilterProxy(smtpd.PureProxy):
    """override"""

    def __init__(self, name, basedir, localaddr, remoteaddr, milter):
        smtpd.PureProxy.__init__(self, localaddr, remoteaddr, decode_data=True)
        self.name = name
        self.basedir = basedir
        self.milter = milter
        self.counts = {"accepted": 0, "rejected": 0}
        logging.info("%s start %s" % (self.name, self.basedir))
        self.logger = logging.getLogger(name)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        if not self.milter.check(data):
            self.counts["rejected"] += 1
            self.logger.info("rejected message from %s", mailfrom)
            return "550 5.7.1 Rejected by %s" % self.name
        self.counts["accepted"] += 1
        folder = os.path.join(self.basedir, "accepted")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "%d.txt" % self.counts["accepted"]), "w") as f:
            f.write(data)
        self.logger.info("accepted message from %s for %s", mailfrom, rcpttos)
        return smtpd.PureProxy.process_message(self, peer, mailfrom, rcpttos, data)


if __name__ == "__main__":
    proxy = MilterProxy("milter1", "spool", ("127.0.0.1", 0), ("127.0.0.1", closed_port()),
                        KeywordMilter(["caf\u00e9"]))
    print(proxy.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        logging.info("counts %s", proxy.counts)

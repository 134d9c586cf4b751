# Shape: a "simple relay service" container script: SimpleRelayService(smtpd.PureProxy)
# whose __init__(config, bind, remote) calls smtpd.SMTPServer.__init__ by name (skipping
# PureProxy's), keeps the config dict and calls logging.basicConfig(filename=
# config['log_file'], level=DEBUG) from inside __init__; a 4-argument process_message
# (default decode_data: TypeError on every message under Python 3) that logs and calls its
# own _deliver(), a copy of PureProxy's with a TLS flag and optional login taken from
# extra items of self._remoteaddr; __main__ reads the bind address, relay host and TLS
# flag from environment variables, and either runs under a daemon.DaemonContext or
# builds the server and runs asyncore.loop() in try/except KeyboardInterrupt calling
# smtp_server.close(). (Environment defaults stand in for the container's variables,
# the log format has no asctime, DAEMONIZE is off; the relay is never reached.)
import asyncore
import logging
import os
import smtpd
import smtplib

from _record import record


class SimpleRelayService(smtpd.PureProxy):
    """Handles processing mail for relay"""

    def __init__(self, config, bind, remote):
        smtpd.SMTPServer.__init__(self, bind, remote)
        self.config = config
        logging.basicConfig(filename=config["log_file"],
                            level=logging.DEBUG,
                            format="%(levelname)s %(message)s")
        logging.info("Simple relay service started on %s:%s" % bind)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        logging.debug("Receieved a message from %s to %s" % (mailfrom, rcpttos))
        refused = self._deliver(mailfrom, rcpttos, data)
        logging.debug("refused: %s" % refused)

    def _deliver(self, mailfrom, rcpttos, data):
        refused = {}
        try:
            s = smtplib.SMTP(self._remoteaddr[0], self._remoteaddr[1], timeout=30)
            tls_flag = self.config["tls"]
            if tls_flag == "yes":
                s.starttls()
            if len(self._remoteaddr) > 2:
                s.login(self._remoteaddr[2], self._remoteaddr[3])
            try:
                refused = s.sendmail(mailfrom, rcpttos, data)
            finally:
                s.quit()
        except smtplib.SMTPRecipientsRefused as e:
            refused = e.recipients
        except (OSError, smtplib.SMTPException) as e:
            # All recipients were refused.  If the exception had an associated
            # error code, use it.  Otherwise, fake it with a non-triggering
            # exception code.
            errcode = getattr(e, "smtp_code", -1)
            errmsg = getattr(e, "smtp_error", "ignore")
            for r in rcpttos:
                refused[r] = (errcode, errmsg)
        return refused


if __name__ == "__main__":

    log_file = "simplerelay.log"
    if "LOG_FILE" in os.environ:
        log_file = os.environ["LOG_FILE"]

    bind = (os.environ.get("BIND_ADDRESS", "127.0.0.1"), int(os.environ.get("BIND_PORT", "0")))
    relay = (os.environ.get("RELAY_HOST", "relay.invalid"),
             int(os.environ.get("RELAY_HOST_PORT", "25")))
    tls_flag = os.environ.get("RELAY_HOST_TLS", "no")
    config = {
        "log_file": log_file,
        "rcpt_domain": "",
        "fwd_address": "",
        "tls": tls_flag}

    if "DAEMONIZE" in os.environ and bool(os.environ["DAEMONIZE"]):
        import daemon
        with daemon.DaemonContext(stdout=open(log_file, "a"), stderr=open(log_file, "a")):
            smtp_server = SimpleRelayService(config, bind, relay)
            asyncore.loop()
    else:
        smtp_server = SimpleRelayService(config, bind, relay)
        print(smtp_server.socket.getsockname()[1], flush=True)
        try:
            asyncore.loop()
        except KeyboardInterrupt:
            smtp_server.close()

# Shape: a forwarding service built on PureProxy: config.ini read at import (written
# beside the program here) for the banner host, port and smarthost, a pid file written at
# import and unlinked at ^C, a module-level DEBUGSTREAM = sys.stderr of its own;
# Cherrypicker(smtpd.PureProxy) with a 4-argument process_message (the script passes
# decode_data=True): mail to addthis@ learns senders from a forwarded message; other mail
# gets X-Peer and Received lines after the headers, recipients of its own domain are
# rewritten through an alias store (a dict standing in for redis), mail with no known
# alias is dropped (still 250), and the rest goes to PureProxy's _deliver towards the
# smarthost (refused: a closed local port) and is stored as a JSON summary;
# asyncore.loop() in try/except KeyboardInterrupt.
import asyncore
import configparser
import email
import email.utils
import json
import os
import smtpd
import socket
import sys

from _record import record


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


if not os.path.exists("config.ini"):
    with open("config.ini", "w") as f:
        f.write("[general]\nsmtp_pidFile = cherrypick_smtp.pid\n\n"
                "[smtp]\nbannerHostname = example.com\nport = 0\n"
                "smarthost = 127.0.0.1\n")

redis = {
    "alias:bob": "robert@elsewhere.example",
    "alias:carol": "caroline@elsewhere.example",
    "customer:alice@example.com": "true",
}

config = configparser.ConfigParser()
config.read("config.ini")

smtp_pid_fn = config.get("general", "smtp_pidFile")
with open(smtp_pid_fn, "w") as pidfile:
    pidfile.write("cherrypicker\n")

host = config.get("smtp", "bannerHostname")
port = config.getint("smtp", "port")
smarthost = config.get("smtp", "smarthost")
smarthostPort = config.getint("smtp", "smarthostPort", fallback=closed_port())

# smtpd.DEBUGSTREAM = sys.stderr
DEBUGSTREAM = sys.stderr
NEWLINE = "\n"
STORED = []


def domain_from_address(address):
    realname, addr = email.utils.parseaddr(address)
    if "@" in addr:
        username, domain = addr.split("@", 1)
        return domain


class Cherrypicker(smtpd.PureProxy):

    def addSenderBasedOnMessage(self, peer, mailfrom, rcpttos, data):
        print("mail from:", "*" + mailfrom + "*", file=DEBUGSTREAM)
        if not redis.get("customer:" + mailfrom):
            print("didn't find that customer in our DB", file=DEBUGSTREAM)
            return
        msg = email.message_from_string(data)
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                for line in part.get_payload().split("\n"):
                    if ":" in line:
                        h, v = line.split(":", 1)
                        if h == "From":
                            domain = domain_from_address(v)
                            if domain:
                                redis["knownsender:" + domain + ":" + mailfrom] = "true"

    def store_message(self, mailfrom, target, rcpttos, data):
        msg = email.message_from_string(data)
        headers = {"From": msg.get("From"), "To": msg.get("To"),
                   "Subject": msg.get("Subject")}
        STORED.append(json.dumps({"target": target, "headers": headers}, sort_keys=True))

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("rcpttos[0].split('@',1)[0]", rcpttos[0].split("@", 1)[0])
        if rcpttos[0].split("@", 1)[0] == "addthis":
            self.addSenderBasedOnMessage(peer, mailfrom, rcpttos, data)
            return

        lines = data.split("\n")
        # Look for the last header
        i = 0
        for line in lines:
            if not line:
                break
            i += 1
        lines.insert(i, "Received: from " + peer[0] + "\n" +
                     "        by " + host)
        lines.insert(i, "X-Peer: %s" % peer[0])
        data = NEWLINE.join(lines)

        acceptable = False
        target = None
        new_rcpttos = []
        for rcptto in rcpttos:
            print("RCPTTO", rcptto)
            username, domain = rcptto.split("@", 1)
            new_rcptto = rcptto
            if domain == host:
                print("message for us", file=DEBUGSTREAM)
                found = redis.get("alias:" + username)
                if found:
                    print("FOUND a mapping from " + username + " to " + found,
                          file=DEBUGSTREAM)
                    acceptable = True
                    new_rcptto = target = found
            new_rcpttos.append(new_rcptto)

        if not acceptable:
            return

        refused = self._deliver(mailfrom, new_rcpttos, data)
        if refused:
            print("we got some refusals:", refused, file=DEBUGSTREAM)
        self.store_message(mailfrom, target, new_rcpttos, data)


print(host, port, smarthost)
server = Cherrypicker(("127.0.0.1", port), (smarthost, smarthostPort), decode_data=True)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    os.unlink(smtp_pid_fn)
    for line in STORED:
        print("stored", line)

# Shape: a mail-triggered command runner: rules read with configparser map recipient
# regexes to commands; process_message (decode_data=True) runs the matching ones
# (here: prints them) and logs; the server is built in a function from the config.
import asyncore
import configparser
import re
import smtpd

from _record import record

CONFIG = """
[server]
host = 127.0.0.1
port = 0

[trigger:alpha]
pattern = bob@example\\.com
command = touch bob.flag

[trigger:beta]
pattern = carol@.*
command = touch carol.flag
"""


class TriggerServer(smtpd.SMTPServer):
    def __init__(self, localaddr, triggers):
        smtpd.SMTPServer.__init__(self, localaddr, None, decode_data=True)
        self.triggers = triggers

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        for name, (pattern, command) in sorted(self.triggers.items()):
            if any(pattern.fullmatch(rcpt) for rcpt in rcpttos):
                print("trigger", name, "runs", command)


def build_server(text):
    config = configparser.ConfigParser()
    config.read_string(text)
    triggers = {}
    for section in config.sections():
        if section.startswith("trigger:"):
            rule = config[section]
            triggers[section[8:]] = (re.compile(rule["pattern"]), rule["command"])
    address = (config["server"]["host"], config["server"].getint("port"))
    return TriggerServer(address, triggers)


trigger = build_server(CONFIG)
print(trigger.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    trigger.close()

# A service whose server is built and returned by a factory reading settings (an INI
# text); main() serves it with the loop until Ctrl+C, then closes it.
import asyncore
import configparser
import smtpd

from _record import record

SETTINGS = """
[listen]
host = 127.0.0.1
port = 0

[words]
urgent = alice@example.com
"""


class KeywordServer(smtpd.SMTPServer):
    def __init__(self, localaddr, watched):
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self.watched = watched

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if mailfrom in self.watched:
            print("watched sender", mailfrom, flush=True)


def load_server(text):
    parser = configparser.ConfigParser()
    parser.read_string(text)
    address = (parser["listen"]["host"], parser["listen"].getint("port"))
    return KeywordServer(address, set(parser["words"].values()))


def main():
    service = load_server(SETTINGS)
    print(service.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop(timeout=1)
    except KeyboardInterrupt:
        service.close()
        print("closed", flush=True)


main()

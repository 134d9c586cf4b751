# Shape: a monitoring bridge: EmlServer with class attributes (a counter, a source IP,
# a multi-group regex), a **kwargs process_message writing the raw bytes to a .eml file
# named after the peer, decoding the data, matching Subject/Node ID/Event Message and
# handing them to zabbix_sender (here: the command line printed).
import asyncore
import re
from smtpd import SMTPServer

from _record import record


class EmlServer(SMTPServer):
    no = 0
    source_ip = "127.0.0.1"
    regexp_event = (
        r"(?P<Subject>Subject: .+)(?:\n.*)+?(?P<Test>X-Test: .+)(?:\n.*)+?(?P<Line>line .+)"
    )

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        zabbix_srv = "192.0.2.49"
        zabbix_port = "10051"
        filename = "%s-%d.eml" % (peer[0], self.no)
        with open(filename, "wb") as f:
            f.write(data)
        self.no += 1
        text = data.decode("utf-8", "replace")
        match = re.search(self.regexp_event, text)
        if peer[0] != self.source_ip or match is None:
            print("%s saved, no event" % filename)
            return
        event = match.groupdict()
        command = [
            "zabbix_sender",
            "-z",
            zabbix_srv,
            "-p",
            zabbix_port,
            "-s",
            "san",
            "-k",
            "san.event",
            "-o",
            "; ".join(event[k] for k in sorted(event)),
        ]
        print("%s saved; would run: %s" % (filename, " ".join(command)))


def run():
    server = EmlServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    run()

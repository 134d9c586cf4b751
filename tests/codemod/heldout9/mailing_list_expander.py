# Shape: a tiny mailing-list server: a LISTS dict mapping list addresses to members,
# ListServer(smtpd.SMTPServer) with a 4-argument process_message (default decode_data:
# TypeError on every message under Python 3) that expands list recipients into members,
# drops duplicates, writes one file per member into a spool directory
# (spool/<member>/<n>.msg) and prints the expansion; other recipients are returned
# "550 No such list"; the server is a module global and asyncore.loop(timeout=30) runs
# bare.
import asyncore
import os
import smtpd

from _record import record

LISTS = {
    "bob@example.com": ["ann@example.org", "ben@example.org"],
    "carol@example.com": ["ben@example.org", "cat@example.org"],
}
SPOOL = "spool"


class ListServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        members = []
        for rcpt in rcpttos:
            if rcpt not in LISTS:
                return "550 No such list: %s" % rcpt
            for member in LISTS[rcpt]:
                if member not in members:
                    members.append(member)
        for member in members:
            folder = os.path.join(SPOOL, member)
            os.makedirs(folder, exist_ok=True)
            n = len(os.listdir(folder)) + 1
            with open(os.path.join(folder, "%d.msg" % n), "wb") as f:
                f.write(data)
        print("%s -> %s" % (",".join(rcpttos), ",".join(members)))


server = ListServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop(timeout=30)

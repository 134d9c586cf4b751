# Shape: an end-to-end test environment's mail catcher: a **kwargs process_message
# (decode_data=True) that re.search()es the str data for a team-member marker, keeps
# only the activation link for those, and writes the latest message per recipient into
# one of two directories (file named by the address); a lock-guarded helper reads back.
import asyncore
import os
import re
import smtpd
import threading

from _record import record

SMTPD_DIR = "smtpd"
SMTPD_DIR_TEAM_MEMBERS = "smtpd_team"
TEAM_MEMBER_EMAIL_IDENTIFIER = r"X-Test: 1"
ACTIVATION_LINK = re.compile(r"^(line one)$", re.M)
lock = threading.Lock()


def _extract_activation_link(data):
    found = ACTIVATION_LINK.search(data)
    return found.group(1) if found else ""


def latest_for(address):
    with lock:
        for folder in (SMTPD_DIR, SMTPD_DIR_TEAM_MEMBERS):
            path = os.path.join(folder, address)
            if os.path.exists(path):
                with open(path) as f:
                    return folder, f.read()
    return None, None


class PutLatestEmailInFilesystem(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        write_into_dir = SMTPD_DIR
        if re.search(TEAM_MEMBER_EMAIL_IDENTIFIER, data):
            write_into_dir = SMTPD_DIR_TEAM_MEMBERS
            data = _extract_activation_link(data)
        for email_address in rcpttos:
            filename = os.path.join(write_into_dir, email_address)
            with lock, open(filename, "w") as f:
                f.write(data)


if __name__ == "__main__":
    os.makedirs(SMTPD_DIR, exist_ok=True)
    os.makedirs(SMTPD_DIR_TEAM_MEMBERS, exist_ok=True)
    server = PutLatestEmailInFilesystem(("127.0.0.1", 0), None, decode_data=True)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print(latest_for("bob@example.com"))

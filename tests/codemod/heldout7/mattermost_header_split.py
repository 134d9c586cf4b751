# Shape: a mail-to-chat notifier (SMTP to Mattermost): Smtp2MattermostServer(
# smtpd.SMTPServer) with helper methods (a login, a team/member search, username(email)
# mapping a To: address to a chat user), a 4-argument process_message made to work by
# decode_data=True: data.split('\n\n', 1) into header and body, a line-by-line
# re.match("^To:") search for the address, an exclusion read from os.environ
# [...], and the username printed unless excluded; server built at module level with
# ('0.0.0.0', 8025), None, decode_data=True and a bare asyncore.loop(). (The chat API is a
# local stand-in dictionary; the exclusion variable has a default here; 127.0.0.1 port 0.)
import asyncore
import os
import re
import smtpd

from _record import record

os.environ.setdefault("MATTERMOST_EXCLUDE_NOTIFICATE", "carol@example.com")

TEAMS = {
    "dev": [
        {"user_id": "u1", "email": "bob@example.com", "username": "bobby"},
        {"user_id": "u2", "email": "carol@example.com", "username": "carol"},
    ],
}


class FakeDriver:
    """Stands in for mattermostdriver.Driver."""

    def login(self):
        print("login")

    def logout(self):
        print("logout")


class Smtp2MattermostServer(smtpd.SMTPServer):
    def mattermost_login(self):
        mm = FakeDriver()
        mm.login()
        return mm

    def mattermost_logout(self, mm):
        mm.logout()

    def search_user(self, mm, email, teams):
        for team_id in teams:
            for member in teams[team_id]:
                if member["email"] == email:
                    return member["username"]

    def username(self, email):
        mm = self.mattermost_login()
        username = self.search_user(mm, email, TEAMS)
        self.mattermost_logout(mm)
        return username

    def search_to_address(self, header):
        for line in header.split("\n"):
            if re.match("^To:", line):
                return line.split(" ", 1)[1]

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        (header, body) = data.split("\n\n", 1)
        email = self.search_to_address(header)
        if email != os.environ["MATTERMOST_EXCLUDE_NOTIFICATE"]:
            print(self.username(email))
        return


server = Smtp2MattermostServer(("127.0.0.1", 0), None, decode_data=True)
print(server.socket.getsockname()[1], flush=True)

asyncore.loop()

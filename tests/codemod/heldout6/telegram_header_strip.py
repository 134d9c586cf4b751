# Shape: a monitoring alert forwarder to a chat bot: CustomSMTPServer(smtpd.SMTPServer) with
# a 4-argument process_message (default decode_data: TypeError on every message under
# Python 3) that reads TOKEN and CHAT_ID from os.environ inside the method, forwards only
# mail from one sender, drops the header lines by deleting list items up to the first
# blank line, prints the body and sends it with the bot (parse_mode='HTML'), then a bare
# `return`; module-level server and a bare asyncore.loop(). (Written for Python 2; the
# print statements are calls here and the bot is a local stand-in writing telegram.log.)
import asyncore
import os
import smtpd

from _record import record


class Bot:
    """Stands in for telepot.Bot."""

    def __init__(self, token):
        self.token = token

    def sendMessage(self, chat_id, message, parse_mode=None):
        with open("telegram.log", "a") as f:
            f.write("%s %s %s\n" % (chat_id, parse_mode, message))


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        token = os.environ.get("TOKEN", "no-token")
        chat_id = os.environ.get("CHAT_ID", "42")
        print("Message addressed from:", mailfrom)
        if mailfrom == "alice@example.com":
            print("Message addressed to  :", rcpttos)
            msg = data.splitlines()
            while len(msg[0]) > 0:
                del msg[0]
            del msg[0]

            message = "\n".join(msg)
            print("Message :", message)
            TelegramBot = Bot(token)
            TelegramBot.sendMessage(chat_id, message, parse_mode="HTML")
        return


server = CustomSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

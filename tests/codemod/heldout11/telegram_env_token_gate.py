# Shape: a mail-to-Telegram relay script (Python 2 prints in the original, made calls
# here): CustomSMTPServer(smtpd.SMTPServer) with a 4-argument process_message (default
# decode_data: TypeError on every message under Python 3) that reads TOKEN and CHAT_ID
# from os.environ inside the method, prints the envelope sender and, for one fixed
# sender only, the recipients; it splits the data into lines, deletes the header lines
# up to and including the first blank one and sends the rest to a bot (a stand-in for
# telepot here); the server is built at module level on 0.0.0.0:1025 (127.0.0.1:0
# here) and a bare asyncore.loop() runs it.
import asyncore
import json
import os
import smtpd

from _record import record

# The container set these; the script read them with os.environ[...] on every message.
os.environ.setdefault("TOKEN", "123456:fake-token")
os.environ.setdefault("CHAT_ID", "-1001")


class Bot:  # stand-in for telepot.Bot
    def __init__(self, token):
        self.token = token

    def sendMessage(self, chat_id, text, parse_mode=None):
        print("telegram", chat_id, parse_mode, json.dumps(text))


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        token = os.environ['TOKEN']
        chat_id = os.environ['CHAT_ID']
        print('Message addressed from:', mailfrom)
        if mailfrom == 'alice@example.com':
            print('Message addressed to  :', rcpttos)
            msg = data.splitlines()
            while len(msg[0]) > 0:
                del msg[0]
            del msg[0]

            message = "\n".join(msg)
            print('Message :', message)
            TelegramBot = Bot(token)
            TelegramBot.sendMessage(chat_id, message, parse_mode='HTML')
        return


server = CustomSMTPServer(('127.0.0.1', 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

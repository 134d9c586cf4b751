# Shape: a test-mail catcher: FakeSMTPServer(smtpd.SMTPServer) with no __init__ and a
# dunder class attribute __outputdir__ = "./receivedemails/"; a **kwargs process_message
# names each mail from the UTC clock (a counter here), appends
# "<name>,<mailfrom>,<rcpttos>" to common.log and writes the raw bytes to <name>.eml with
# f-string paths, all in try/except Exception that logs the error; a module-level server
# and asyncore.loop() in try/except KeyboardInterrupt that prints "Server stopped".
import asyncore
import logging
import os
import smtpd

from _record import record

os.makedirs("./receivedemails/", exist_ok=True)  # the repository kept the folder


class FakeSMTPServer(smtpd.SMTPServer):
    __outputdir__ = "./receivedemails/"
    __count__ = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        FakeSMTPServer.__count__ += 1
        email_filename = f"mail_{FakeSMTPServer.__count__:04d}"
        try:
            # insert row to common.log
            f = open(f'{self.__outputdir__}common.log', "a")
            f.write(f'{email_filename},{mailfrom},{rcpttos}\n')
            f.close()
            # storing message as eml
            f = open(f'{self.__outputdir__}{email_filename}.eml', "wb")
            f.write(data)
            f.close()
            print(f'stored {email_filename}')
        except Exception as e:
            logging.error(f'Error storing mail: {e}')


server = FakeSMTPServer(('127.0.0.1', 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("Server stopped")

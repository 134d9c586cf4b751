# Shape: the widely copied Postfix after-queue filter: FROM_PORT/TO_PORT/SHELL_PATH
# constants, a 4-argument process_message (default decode_data) that strips quotes
# (its str.replace results discarded), writes the data to a file, runs a shell script
# on it (here: printed) and re-injects through smtplib on TO_PORT, printing the
# traceback on failure; server and bare loop at module level.
import asyncore
import smtpd
import smtplib
import traceback

from _record import record

TO_PORT = 10026
SHELL_PATH = "/path/to/script "  # string
FROM_PORT = 0


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        mailfrom.replace("'", "")
        mailfrom.replace('"', "")
        for recipient in rcpttos:
            recipient.replace("'", "")
            recipient.replace('"', "")
        f = open("mailfile.txt", "w")  # noqa: SIM115
        f.write(data)
        f.close()
        print("would run: " + SHELL_PATH + "mailfile.txt")
        try:
            toserver = smtplib.SMTP("127.0.0.1", TO_PORT)
            toserver.sendmail(mailfrom, rcpttos, data)
            toserver.quit()
        except Exception:
            print("Exception in reinjection")
            traceback.print_exc()


server = CustomSMTPServer(("127.0.0.1", FROM_PORT), None)
print("filter listening")
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

# Shape: a logging SMTP sink: CustomSMTPServer(smtpd.SMTPServer) whose __init__(*args,
# **kwargs) calls the base by name, names a log file and writes a two-line header to it
# when it does not exist yet; a 4-argument process_message inside try/except Exception
# prints the PyMOTW envelope lines and appends an entry (sender, recipients, length,
# body) to the log, printing "Error processing message" on failure; the caller passes
# decode_data=True; asyncore.loop() in try/except KeyboardInterrupt printing
# "Server stopped".
import asyncore
import os
import smtpd

from _record import record


class CustomSMTPServer(smtpd.SMTPServer):

    def __init__(self, *args, **kwargs):
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.log_file = "smtp_logs.txt"
        self.entries = 0
        if not os.path.exists(self.log_file):
            with open(self.log_file, "w") as f:
                f.write("SMTP Server Log\n")
                f.write("=" * 50 + "\n")

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        try:
            print("Receiving message from:", peer[0])
            print("Message addressed from:", mailfrom)
            print("Message addressed to  :", rcpttos)
            print("Message length        :", len(data))

            self.entries += 1
            with open(self.log_file, "a") as log:
                log.write("Entry %d\n" % self.entries)
                log.write("From: %s\n" % mailfrom)
                log.write("To: %s\n" % ", ".join(rcpttos))
                log.write("Length: %d\n" % len(data))
                log.write(data + "\n")
                log.write("-" * 50 + "\n")
        except Exception as e:
            print("Error processing message: %s" % e)
        return


if __name__ == "__main__":
    server = CustomSMTPServer(("127.0.0.1", 0), None, decode_data=True)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("Server stopped")

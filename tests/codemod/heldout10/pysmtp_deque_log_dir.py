# Shape: a local development SMTP server: pySmtpServer(SMTPServer) whose __init__(
# localaddr, remoteaddr, file_logging, log_dir, max_email) calls the base by name with
# decode_data=True, keeps a deque(maxlen=max_email) of Email objects and creates the log
# directory in a bare try/except falling back to "."; a **kwargs process_message
# appends an Email (whose __str__ uses str.format and a misspelt attribute) prints it
# and, with file logging on, writes a numbered .log file into the directory; argparse
# options; asyncore.loop() in try/except KeyboardInterrupt printing the kept emails.
import argparse
import asyncore
import collections
import os
from smtpd import SMTPServer

from _record import record


class Email:
    def __init__(self, peer, mailfrom, rcpttos, data):
        self.peer = peer[0]
        self.mailfrom = mailfrom
        self.rcprros = rcpttos
        self.data = data

    def __str__(self):
        return str.format("Receiving message from : {0}\n" +
                          "Message addressed from : {1}\n" +
                          "Message addressed to   : {2}\n" +
                          "Message length         : {3}\n",
                          self.peer, self.mailfrom, self.rcprros, len(self.data))


class pySmtpServer(SMTPServer):
    def __init__(self, localaddr, remoteaddr, file_logging, log_dir, max_email):
        SMTPServer.__init__(self, localaddr, remoteaddr, decode_data=True)
        self.emails = collections.deque(maxlen=int(max_email))
        self.log_file = file_logging
        self.count = 0
        try:
            self.logging_directory = os.path.realpath(log_dir)
            if not os.path.exists(self.logging_directory):
                os.makedirs(self.logging_directory)
        except:  # noqa: E722
            self.logging_directory = "."

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        mail = Email(peer, mailfrom, rcpttos, data)
        self.emails.append(mail)
        self.count += 1
        print(mail)
        if self.log_file:
            try:
                filename = os.path.join(self.logging_directory, "%03d.log" % self.count)
                with open(filename, "w") as f:
                    f.write(str(mail))
                    f.write(data)
            except OSError as e:
                print("could not log: %s" % e)


def main():
    parser = argparse.ArgumentParser(description="local SMTP server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", action="store_true", default=True)
    parser.add_argument("--log-dir", default="maillogs")
    parser.add_argument("--max-email", default="3")
    args = parser.parse_args()
    server = pySmtpServer((args.host, args.port), None, args.log, args.log_dir,
                          args.max_email)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("kept %d of %d emails:" % (len(server.emails), server.count))
        for mail in server.emails:
            print(mail.mailfrom, "->", mail.rcprros)


if __name__ == "__main__":
    main()

# Shape: the Python part of a Vagrant box's provisioning script that starts an SMTP
# logger for local development with `python3 -c "..." &` (pid file, later killed by the
# script's stop function): LoggingSMTPD(smtpd.SMTPServer) whose process_message spells
# out mail_options=None, rcpt_options=None (the parameter named rcptos), appends From /
# To / Data lines to ~/emails.log with f-strings (the bytes data is written as its
# repr, b'...'), a dashed separator, then prints "Email logged: ... -> ..." with
# flush=True; module-level server on ('127.0.0.1', 1025) and a bare asyncore.loop().
# (HOME is the program's own directory here, so the log lands next to it; port 0; the
# script's kill becomes Ctrl+C.)
import asyncore
import os
import smtpd

from _record import record

os.environ["HOME"] = os.getcwd()


class LoggingSMTPD(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcptos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcptos, data, mail_options=mail_options,
               rcpt_options=rcpt_options)
        with open(os.path.expanduser("~/emails.log"), "a") as f:
            f.write(f"From: {mailfrom}\n")
            f.write(f"To: {rcptos}\n")
            f.write(f"Data:\n{data}\n")
            f.write("-" * 50 + "\n")
        print(f"Email logged: {mailfrom} -> {rcptos}", flush=True)


server = LoggingSMTPD(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

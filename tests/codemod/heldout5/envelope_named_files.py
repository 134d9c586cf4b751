# Shape: a tiny "store every mail" server: FakeSMTPServer(smtpd.SMTPServer) with renamed
# process_message parameters (mail_from, rcpt_tos, **kwargs) writing data ('wb') to a file
# named "<from>_<rcpt,rcpt>" in the directory given on the command line (later messages
# with the same envelope overwrite it) and printing where; a usage check that exits 10; a
# bare loop. (The directory defaults to "mails" here; the original required argv[1].)
import asyncore
import os
import smtpd
import sys

from _record import record


class FakeSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mail_from, rcpt_tos, data, **kwargs):
        record(peer, mail_from, rcpt_tos, data, **kwargs)
        filename = os.path.join(sys.argv[1], "%s_%s" % (mail_from, ",".join(rcpt_tos)))
        with open(filename, "wb") as f:
            f.write(data)
        print("Wrote email to %s" % filename)


if __name__ == "__main__":
    if len(sys.argv) == 1:
        sys.argv.append("mails")
    if len(sys.argv) != 2:
        print("Usage: %s <email_storage_directory>", file=sys.stderr)
        exit(10)
    os.makedirs(sys.argv[1], exist_ok=True)
    server = FakeSMTPServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()

# Shape: a DebuggingServer subclass that also saves mail: __init__(localaddr, remoteaddr,
# log_to_stdout=True) reading a module-level output_dir, process_message with
# mail_options=[], rcpt_options=[] defaults calling the base DebuggingServer's
# process_message, then one numbered file per recipient directory.
import asyncore
import os
import smtpd
import sys

from _record import record

output_dir = None


class DebuggingServer(smtpd.DebuggingServer):
    def __init__(self, localaddr, remoteaddr, log_to_stdout=True):
        global output_dir
        self.path = output_dir
        self.log_to_stdout = log_to_stdout
        self.count = 0
        smtpd.DebuggingServer.__init__(self, localaddr, remoteaddr)

    def process_message(
        self,
        peer,
        mailfrom,
        rcpttos,
        data,
        mail_options=[],  # noqa: B006
        rcpt_options=[],  # noqa: B006
    ):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        if self.log_to_stdout:
            smtpd.DebuggingServer.process_message(self, peer, mailfrom, rcpttos, data)
            sys.stdout.flush()
        self.count += 1
        for rcpt in rcpttos:
            recipient_dir = os.path.join(self.path, rcpt)
            os.makedirs(recipient_dir, exist_ok=True)
            with open(os.path.join(recipient_dir, "%03d.eml" % self.count), "wb") as out:
                out.write(data)


if __name__ == "__main__":
    output_dir = "dumped"
    server = DebuggingServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass

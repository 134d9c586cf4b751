# Shape: a CRM's test mail sink script (`python3 tests/smtp_sink.py <port> <folder>`):
# port and folder read from sys.argv at import, os.makedirs(folder, exist_ok=True);
# Channel(smtpd.SMTPChannel) whose smtp_EHLO pushes one CRLF-joined multi-line string
# ("250-localhost / 250-AUTH LOGIN / 250 8BITMIME") and sets seen_greeting and
# extended_smtp itself, smtp_AUTH answering 334 and switching an auth_step state that
# found_terminator/collect_incoming_data overrides handle (any username and password,
# then 235) before falling back to super(); Sink(smtpd.SMTPServer) with channel_class and
# process_message(**kwargs) writing an X-Rcpt header plus the data ('wb') to a new .eml
# file; the server is built with decode_data=False spelled out and never kept; a bare
# loop. (argv falls back to port 0 and a "sent" folder; files are numbered instead of
# named after time.time(); the server is kept to print its port.)
import asyncore
import os
import smtpd
import sys
import warnings

from _record import record

warnings.filterwarnings("ignore")
port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
folder = sys.argv[2] if len(sys.argv) > 2 else "sent"
os.makedirs(folder, exist_ok=True)


class Channel(smtpd.SMTPChannel):
    def smtp_EHLO(self, arg):
        self.push("250-localhost\r\n250-AUTH LOGIN\r\n250 8BITMIME")
        self.seen_greeting = arg
        self.extended_smtp = True

    def smtp_AUTH(self, arg):
        self.push("334 VXNlcm5hbWU6")
        self.set_terminator(b"\r\n")
        self.auth_step = 1

    def found_terminator(self):
        step = getattr(self, "auth_step", 0)
        if step:
            self.received_lines = []
            if step == 1:
                self.auth_step = 2
                self.push("334 UGFzc3dvcmQ6")
            else:
                self.auth_step = 0
                self.push("235 Authentication successful")
            return
        super().found_terminator()

    def collect_incoming_data(self, data):
        if getattr(self, "auth_step", 0):
            self.received_lines = getattr(self, "received_lines", []) + [data]
            return
        super().collect_incoming_data(data)


class Sink(smtpd.SMTPServer):
    channel_class = Channel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        name = os.path.join(folder, "%04d.eml" % len(os.listdir(folder)))
        with open(name, "wb") as f:
            f.write(
                ("X-Rcpt: %s\r\n" % ",".join(rcpttos)).encode()
                + (data if isinstance(data, bytes) else data.encode())
            )


sink = Sink(("127.0.0.1", port), None, decode_data=False)
print(sink.socket.getsockname()[1], flush=True)
asyncore.loop()

# Shape: a cron-monitoring service's "smtpd" management command: Listener(SMTPServer)
# (from smtpd import SMTPServer) whose __init__(localaddr, stdout) keeps the command's
# stdout and calls super(Listener, self).__init__(localaddr, None, decode_data=False);
# process_message with explicit mail_options=None, rcpt_options=None closes the database
# connections, takes the first recipient's local part as a check code (a UUID regex),
# decodes the data ("[binary data]" on UnicodeError), looks the check up, compares the
# check's subject filter and records a ping ("success" or "ign"); self.stdout.write()
# reports each outcome; a Command class whose handle(host, port) builds the listener,
# prints "Starting SMTP listener on host:port ..." and runs asyncore.loop().
import asyncore
import email
import re
import sys
from smtpd import SMTPServer

from _record import record

RE_UUID = re.compile(
    "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class OutputWrapper:
    def __init__(self, out):
        self._out = out

    def write(self, msg):
        if not msg.endswith("\n"):
            msg += "\n"
        self._out.write(msg)


class connections:
    closed = 0

    @classmethod
    def close_all(cls):
        cls.closed += 1


class Check:
    class DoesNotExist(Exception):
        pass

    rows = {}

    def __init__(self, code, subject=""):
        self.code = code
        self.subject = subject
        self.pings = []
        Check.rows[code] = self

    @classmethod
    def get(cls, code):
        try:
            return cls.rows[code]
        except KeyError:
            raise cls.DoesNotExist(code) from None

    def ping(self, remote_addr, scheme, method, ua, body, action):
        self.pings.append((remote_addr, scheme, ua, action, len(body)))


Check("6f1f4d5c-2b8a-4c55-9d55-4b7a7f0c9e21", subject="round trip")


class Listener(SMTPServer):
    def __init__(self, localaddr, stdout):
        self.stdout = stdout
        super(Listener, self).__init__(localaddr, None, decode_data=False)  # noqa: UP008

    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None,
                        rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options,
               rcpt_options=rcpt_options)
        # get a new db connection in case the old one has timed out:
        connections.close_all()

        to_parts = rcpttos[0].split("@")
        code = to_parts[0]

        try:
            data = data.decode()
        except UnicodeError:
            data = "[binary data]"

        if not RE_UUID.match(code):
            self.stdout.write("Not an UUID: %s" % code)
            return

        try:
            check = Check.get(code)
        except Check.DoesNotExist:
            self.stdout.write("Check not found: %s" % code)
            return

        action = "success"
        if check.subject:
            parsed = email.message_from_string(data)
            received_subject = parsed.get("subject", "")
            if check.subject not in received_subject:
                action = "ign"

        ua = "Email from %s" % mailfrom
        check.ping(peer[0], "email", "", ua, data, action)
        self.stdout.write("Processed ping for %s" % code)


class Command:
    help = "Listen for ping emails"

    def __init__(self):
        self.stdout = OutputWrapper(sys.stdout)

    def handle(self, host, port, *args, **options):
        listener = Listener((host, port), self.stdout)
        print(listener.socket.getsockname()[1], flush=True)
        print("Starting SMTP listener on %s:%d ..." % listener.socket.getsockname())
        asyncore.loop()


if __name__ == "__main__":
    Command().handle("127.0.0.1", 0)

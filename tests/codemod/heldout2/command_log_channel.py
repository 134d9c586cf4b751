# Shape: a protocol-tracing channel: found_terminator overridden to print each command
# verb (received_lines joined while in the COMMAND state) before the base handles it,
# set as channel_class on a **kwargs sink.
import asyncore
import smtpd

from _record import record


class TracingChannel(smtpd.SMTPChannel):
    def found_terminator(self):
        if self.smtp_state == self.COMMAND:
            line = self._emptystring.join(self.received_lines)
            if isinstance(line, bytes):
                line = line.decode("ascii", "replace")
            print("command:", line.split(" ", 1)[0].upper())
        else:
            print("end of data")
        smtpd.SMTPChannel.found_terminator(self)


class TracingServer(smtpd.SMTPServer):
    channel_class = TracingChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("message", mailfrom, "->", rcpttos)


server = TracingServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()

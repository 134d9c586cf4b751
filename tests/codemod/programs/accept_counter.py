# A Python-2-era test server: handle_accept with self.accept() and the pair checked, a
# connection counter and a line per client, then its channel built by hand; the channel
# answers XCLIENT with the server's count; the count is printed when interrupted. The
# server asks for decode_data=True, which its hand-built channels never get (bytes, options).
import asyncore
import smtpd

from _record import record


class CountingChannel(smtpd.SMTPChannel):
    def smtp_XCLIENT(self, arg):
        self.push("250 %d connections so far" % self.smtp_server.connections)


class CountingServer(smtpd.SMTPServer):
    connections = 0

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            sock, peer = pair
            self.connections += 1
            # one line per client, as the old test suite expected
            print("client %d from %s" % (self.connections, peer[0]), flush=True)
            CountingChannel(self, sock, peer)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = CountingServer(("127.0.0.1", 0), None, decode_data=True)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("served", server.connections, "connections", flush=True)

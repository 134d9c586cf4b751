# Shape: a service framework's mail component: class MailService(Runner, smtpd.SMTPServer)
# with the application's own Runner base first (name, log(), run() calling serve()),
# both bases initialised by name, serve() owning asyncore.loop().
import asyncore
import smtpd

from _record import record


class Runner:
    def __init__(self, name):
        self.name = name
        self.handled = 0

    def log(self, text):
        print("[%s] %s" % (self.name, text), flush=True)

    def run(self):
        self.log("starting")
        try:
            self.serve()
        except KeyboardInterrupt:
            self.log("interrupted after %d messages" % self.handled)


class MailService(Runner, smtpd.SMTPServer):
    def __init__(self, host, port):
        Runner.__init__(self, "mail")
        smtpd.SMTPServer.__init__(self, (host, port), None)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.handled += 1
        self.log("message %d from %s, %d bytes" % (self.handled, mailfrom, len(data)))

    def serve(self):
        asyncore.loop()


service = MailService("127.0.0.1", 0)
print(service.socket.getsockname()[1], flush=True)
service.run()

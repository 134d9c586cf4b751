# Shape: an "HTTP over e-mail" dispatcher: HTTPOE(smtpd.PureProxy) with a 4-argument
# process_message (default decode_data: TypeError on every message under Python 3) that,
# for each recipient found in settings.services, calls self.dispatch(service, peer,
# mailfrom, rcpttos, data) (which would POST the message to the service's URL; here it
# prints the request line), and when settings.server["forward"]["on"] is ALL calls
# super(smtpd.PureProxy, self).process_message(...) -- which skips PureProxy and reaches
# SMTPServer's NotImplementedError; the settings module is a class here; the proxy is
# built with the configured upstream as remoteaddr and asyncore.loop() runs bare.
import asyncore
import smtpd

from _record import record


class settings:  # the project's settings module
    ALL = "all"
    NONE = "none"
    services = {
        "bob@example.com": {"url": "http://127.0.0.1:8080/inbox/bob", "method": "POST"},
        "carol@example.com": {"url": "http://127.0.0.1:8080/inbox/carol", "method": "PUT"},
    }
    server = {"listen": ("127.0.0.1", 0), "upstream": ("127.0.0.1", 2525),
              "forward": {"on": ALL}}


class HTTPOE(smtpd.PureProxy):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        for x in rcpttos:
            if x in settings.services:
                self.dispatch(settings.services[x], peer, mailfrom, rcpttos, data)
            if settings.server["forward"]["on"] == settings.ALL:
                super(smtpd.PureProxy, self).process_message(peer, mailfrom, rcpttos, data)

    def dispatch(self, service, peer, mailfrom, rcpttos, data):
        print("%s %s (%d bytes from %s)" % (service["method"], service["url"], len(data),
                                            mailfrom))


server = HTTPOE(settings.server["listen"], settings.server["upstream"])
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

# An AUTH PLAIN channel (custom verb through channel_class): reported, not converted.
import asyncore
import smtpd


class AuthChannel(smtpd.SMTPChannel):
    def smtp_AUTH(self, arg):
        if arg == "PLAIN AHVzZXIAc2VjcmV0":
            self.push("235 Authentication successful")
        else:
            self.push("535 Authentication failed")


class AuthServer(smtpd.SMTPServer):
    channel_class = AuthChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        pass


server = AuthServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

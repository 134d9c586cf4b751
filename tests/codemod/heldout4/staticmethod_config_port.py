# Shape: an earthquake-notification app's test mail server: TestSmtpServer whose
# process_message is a @staticmethod taking (*args, **kwargs) and doing nothing, built in
# main() on the port read from the application's settings object (an SC() whose dict
# holds SMTP.port; the app binds host '', which smtpd's getaddrinfo refuses here, so the
# settings' server name is used), and a bare asyncore.loop().
import asyncore
import smtpd

from _record import record


class SC:
    """The application's settings object (its JSON config file, here inline)."""

    def __init__(self):
        self.dict = {"SMTP": {"server": "127.0.0.1", "port": 0, "security": "None"}}


class TestSmtpServer(smtpd.SMTPServer):
    @staticmethod
    def process_message(*args, **kwargs):
        record(*args, **kwargs)
        pass


def main():
    sc = SC()
    port = sc.dict["SMTP"]["port"]
    server = TestSmtpServer((sc.dict["SMTP"]["server"], port), None)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()


if __name__ == "__main__":
    main()

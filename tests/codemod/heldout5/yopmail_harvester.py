# Shape: a sign-up bot's credential catcher: CustomSMTPServer(smtpd.SMTPServer) built with
# decode_data=True, whose process_message(**kwargs) slices the body out of the str data with
# data.find('Subject') / data.find('\n\n'), base64-decodes it (raising binascii.Error inside
# process_message when the body is not base64), regex-searches a login and password and
# appends them to db.txt; module-level server and a bare asyncore.loop().
import asyncore
import base64
import re
import smtpd

from _record import record


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        # decode the body of the mail
        a = data.find("Subject")
        b = data.find("\n\n", a)
        body = data[b + 2: len(data)]
        body = base64.b64decode(body).decode()

        # find the login and password
        login = re.search(r"Login: (.*?@example.com)", body).group(1)
        password = re.search(r"Password: (\w{6})", body).group(1)

        # append them to the file
        with open("db.txt", "a") as file:
            file.write(str(login))
            file.write(":")
            file.write(str(password))
            file.write("\n")


server = CustomSMTPServer(("127.0.0.1", 0), None, decode_data=True)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

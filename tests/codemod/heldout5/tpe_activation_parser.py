# Shape: an account-activation e-mail catcher for a test environment: module-level argparse
# (bind address, port, message file, -d debug) building a config dict;
# CustomSMTPServer(config) setting self.config before super().__init__(config["localaddr"],
# None); process_message(**kwargs) decoding utf-8, message_from_string, debug prints,
# get_html_text() walking multipart parts for text/html, an HTMLParser subclass collecting
# the account name, login and activation URL, save_msg() appending "<time> <json>" lines to
# the message file; a start banner with the configured address, then a bare loop.
import argparse
import asyncore
import email
import json
import smtpd
from html.parser import HTMLParser

from _record import record

TPEA_SMTPD_MSG_FILE = "tpea_smtpd.msg"


class MyHTMLParser(HTMLParser):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.ac_name = None
        self.ac_login = None
        self.ac_url = None
        self.ac_time = None
        self.msg_title = None
        self.__href_tmp = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.__href_tmp = dict(attrs).get("href")

    def handle_data(self, data):
        if self.ac_name == 1:
            self.ac_name = data.strip()
            return
        if "Account name:" in data:
            self.ac_name = 1
            return
        if self.ac_login == 1:
            self.ac_login = data.strip()
            return
        if "Login:" in data:
            if self.ac_login is None:
                self.ac_login = 1
            else:
                raise Exception("Login name exists already.")
            return
        if self.ac_time == 1:
            self.ac_time = data.strip()
            return
        if "Issued:" in data:
            self.ac_time = 1
            return
        if self.ac_url == 1:
            self.ac_url = (self.__href_tmp or "").strip()
            return
        if "Account Activation" in data:
            self.msg_title = "Activation"
            if self.ac_url is None:
                self.ac_url = 1
            else:
                raise Exception("Activation URL exists already.")
            return

    def result(self):
        return {"ac_time": self.ac_time, "name": self.ac_name, "login": self.ac_login,
                "url": self.ac_url, "title": self.msg_title}


class CustomSMTPServer(smtpd.SMTPServer):
    def __init__(self, config):
        self.config = config
        super().__init__(config["localaddr"], None)

    def get_html_text(self, msg):
        if msg.is_multipart():
            for i in msg.walk():
                if self.config["debug"]:
                    print(msg.get_boundary(), i.get_content_type())
                    print(i.get_payload(decode=True))
                if i.get_content_type() == "text/html":
                    return i.get_payload(decode=True).decode()
        return None

    def save_msg(self, data):
        if self.config["debug"]:
            print("save msg into", self.config["msg_file"])
            print(data)
        with open(self.config["msg_file"], "a+") as fd:
            fd.write("{} {}\n".format(data["ac_time"], json.dumps(data)))

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        src = data.decode(encoding="utf-8")
        msg = email.message_from_string(src)
        if self.config["debug"]:
            print("smtp from:", mailfrom)
            print("smtp to  :", rcpttos)
            print("kwargs:", kwargs)
            print("subject  :", msg["subject"])
        html_text = self.get_html_text(msg)
        if html_text:
            p = MyHTMLParser(self.config)
            p.feed(html_text)
            self.save_msg(p.result())
            p.close()


ap = argparse.ArgumentParser(description="The SMTP server for TPE.")
ap.add_argument("-a", action="store", dest="bind_addr", default="127.0.0.1",
                help="specify the address to be bound.")
ap.add_argument("-p", action="store", dest="bind_port", type=int, default=0, help="port to bind.")
ap.add_argument("-m", action="store", dest="msg_file", default=TPEA_SMTPD_MSG_FILE,
                help="specify the message file.")
ap.add_argument("-d", action="store_true", dest="debug", help="enable debug mode.")
opt = ap.parse_args()

config = {
    "localaddr": (opt.bind_addr, opt.bind_port),
    "remoteaddr": None,
    "msg_file": opt.msg_file,
    "debug": opt.debug,
}
server = CustomSMTPServer(config)
print("SMTP server has started.  Listen on {} {}".format(  # noqa: UP032
        opt.bind_addr if opt.bind_addr else "any", opt.bind_port))
print(server.socket.getsockname()[1], flush=True)

asyncore.loop()

# Shape: a web app's e2e mail catcher run through smtpd's own command line (the Makefile's
# `python -m smtpd -n -c smtp_server.CustomSMTPServer localhost:1025`): `from smtpd import
# DebuggingServer`, module constants (FLASK_SERVER, FIRST/SECOND indexes, JSON_INDENT,
# BUILD_DIR from the environment, confirm/reset URL prefixes), CustomSMTPServer(
# DebuggingServer) whose process_message(**kwargs) fills a SimpleNamespace it never uses,
# then a classmethod _split_body(data) decoding the bytes and picking Subject/From/To
# lines and a token after a URL prefix, and a classmethod _write_mail_to_file(values)
# dumping them as JSON to BUILD_DIR/<local part of To>.json (an AttributeError when the
# message has no To: header). (smtpd's command line runs in-process through runpy, with
# that class and 127.0.0.1:0; a small __init__ forwarding *args/**kwargs prints the bound port;
# the build directory is made first, as the Makefile does.)
import json
import os
import runpy
import sys
from smtpd import DebuggingServer
from types import SimpleNamespace

from _record import record

FLASK_SERVER = "http://localhost.localdomain:5000"
FIRST = 0
SECOND = 1
JSON_INDENT = 4
BUILD_DIR = os.environ.get("BUILD_DIR", "build")
AUTH_CONFIRM_URL = f"{FLASK_SERVER}/auth/confirm/"
AUTH_RESET_URL = f"{FLASK_SERVER}/auth/reset/"


class CustomSMTPServer(DebuggingServer):

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        print(self.socket.getsockname()[1], flush=True)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        simple_namespace = SimpleNamespace()
        simple_namespace.peer = peer
        simple_namespace.mailfrom = mailfrom
        simple_namespace.rcpttos = rcpttos
        values = self._split_body(data)
        self._write_mail_to_file(values)

    @classmethod
    def _split_body(cls, data):
        values = dict()
        for line in data.decode("utf-8").splitlines():
            for splitter in ["Subject: ", "From: ", "To: "]:
                if line.startswith(splitter):
                    values[splitter.lower().split(":")[FIRST]] = line.split(splitter)[SECOND]
            for url in [AUTH_CONFIRM_URL, AUTH_RESET_URL]:
                if line.startswith(url):
                    values["token"] = line.split(url)[SECOND]
        return values

    @classmethod
    def _write_mail_to_file(cls, values):
        with open(f'{BUILD_DIR}/{values.get("to").split("@")[FIRST]}.json', "w") as email_file:
            json.dump(values, email_file, ensure_ascii=False, indent=JSON_INDENT)


if __name__ == "__main__":
    os.makedirs(BUILD_DIR, exist_ok=True)
    sys.argv = ["smtpd", "-n", "-c", "__main__.CustomSMTPServer", "127.0.0.1:0"]
    runpy.run_module("smtpd", run_name="__main__")

# Shape: a "Django mail server" daemon: MailServer(smtpd.SMTPServer) with a class-level
# logger = logging.getLogger(), an __init__(**kwargs) that reads its configuration file
# (path from an environment variable, else a default) line by line in _load_config()
# (projects root, python path, poll interval, address, port, log file, level), calls
# logging.basicConfig(filename=logfile, level=...) from inside it, then calls the base by
# name, then builds a Settings object sharing a threading.Lock and loads it; a 4-argument
# process_message (default decode_data: TypeError on every message under Python 3) that
# would look recipients' domains up in the settings and run a Django command with
# subprocess or forward with smtplib; run() starts the settings poller and calls a bare
# asyncore.loop(). (The default configuration is written next to the program on its first
# run, relative paths and port 0 in it; the real port is printed once the server is built.)
import asyncore
import logging
import os
import re
import smtpd
import subprocess
import threading

from _record import record

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CONF = "\n".join([".", ".", "python3", "60", "127.0.0.1", "0",
                          "mailserver.log", "INFO"]) + "\n"


class Settings(object):  # noqa: UP004
    def __init__(self, projects_root, path_to_python, poll_interval, lock):
        self.projects_root = projects_root
        self.path_to_python = path_to_python
        self.poll_interval = poll_interval
        self.lock = lock
        self.info = {}
        self._stop = threading.Event()

    def load(self):
        with self.lock:
            self.info = {"example.com": ([(re.compile("^bob$"), "inbound")],
                                         "postmaster@example.com", self.path_to_python,
                                         "manage.py")}

    def run(self):
        poller = threading.Thread(target=self._poll, daemon=True)
        poller.start()

    def _poll(self):
        while not self._stop.wait(self.poll_interval):
            self.load()


class MailServer(smtpd.SMTPServer):
    """
    Class based on smtpd server that actually process incoming mails.
    """
    logger = logging.getLogger()

    def __init__(self, **kwargs):
        projects_root, path_to_python, poll_interval, addr, port = self._load_config()

        smtpd.SMTPServer.__init__(self, (addr, port), None)

        self._settingslock = threading.Lock()
        self._settings = Settings(projects_root, path_to_python, poll_interval,
                                  self._settingslock)
        self._settings.load()

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.logger.info("INCOMING: %s, %s, %s" % (peer, mailfrom, rcpttos))
        self._settingslock.acquire()
        for recipient in rcpttos:
            user, domain = recipient.split("@")
            if domain in self._settings.info:
                mapping, forwardaddr, python_binary, script = self._settings.info[domain]
                for regex, command in mapping:
                    if regex.match(user):
                        subprocess.call([python_binary, script, command, recipient, mailfrom])
        self._settingslock.release()

    def run(self):
        self._settings.run()
        asyncore.loop()

    def _load_config(self):
        configfile = os.environ.get("DJANGO_MAILSERVER_CONF_FILE",
                                    os.path.join(HERE, "django-mailserver.cfg"))
        if not os.path.exists(configfile):
            with open(configfile, "w") as f:
                f.write(DEFAULT_CONF)
        with open(configfile, "r") as f:  # noqa: UP015
            projects_root = f.readline().strip("\n")
            if not os.path.exists(projects_root):
                raise Exception("projects_root folder %s not exists." % projects_root)
            f.readline()  # path to the project root
            path_to_python = f.readline().strip("\n")
            poll_interval = int(f.readline().strip("\n"))
            address = f.readline().strip("\n")
            port = int(f.readline().strip("\n"))
            logfile = f.readline().strip("\n")
            level = logging.getLevelName(f.readline().strip("\n"))
            logging.basicConfig(filename=logfile, level=level)
            return projects_root, path_to_python, poll_interval, address, port


if __name__ == "__main__":
    server = MailServer()
    print(server.socket.getsockname()[1], flush=True)
    server.run()

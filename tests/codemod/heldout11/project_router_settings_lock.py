# Shape: a mail-to-project dispatcher (Python 2 era): MailServer(smtpd.SMTPServer) with a
# class-level logger and __init__(**kwargs) that unpacks six values from _load_config(),
# calls the base by name, then builds a Settings object sharing a threading.Lock and
# loads it; a 4-argument process_message (default decode_data: TypeError on every message
# under Python 3) that would log "INCOMING", take the lock, split each recipient at '@'
# and run the mapped project command for a known domain; a daemon thread reloads the
# settings every poll interval; asyncore.loop() in try/except KeyboardInterrupt.
import asyncore
import logging
import smtpd
import sys
import threading
import time

from _record import record


class Settings(object):
    def __init__(self, projects_root, path_to_project_root, path_to_python,
                 poll_interval, lock):
        self.projects_root = projects_root
        self.path_to_project_root = path_to_project_root
        self.path_to_python = path_to_python
        self.poll_interval = poll_interval
        self.lock = lock
        self.info = {}

    def load(self):
        # a projects.ini per project in the original; two fixed entries here
        self.info = {
            'example.com': ({'bob': 'tracker', 'carol': 'wiki'}, 'manage.py'),
            'example.org': ({}, 'manage.py'),
        }


class MailServer(smtpd.SMTPServer):
    """
    Class based on smtpd server that actually process incoming mails.
    """
    logger = logging.getLogger()

    def __init__(self, **kwargs):
        projects_root, path_to_project_root, path_to_python,\
            poll_interval, addr, port = self._load_config()

        smtpd.SMTPServer.__init__(self, (addr, port), None)

        self._settingslock = threading.Lock()
        self._settings = Settings(projects_root,
                                  path_to_project_root,
                                  path_to_python,
                                  poll_interval,
                                  self._settingslock)
        self._settings.load()
        self.logger.info('settings loaded: %s', sorted(self._settings.info))

    def _load_config(self):
        return ('/srv/projects', 'src', sys.executable, 0.2, '127.0.0.1', 0)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.logger.info('INCOMING: %s, %s, %s' % (peer[0], mailfrom, rcpttos))

        self._settingslock.acquire()
        for recipient in rcpttos:
            user, domain = recipient.split('@')
            if domain in self._settings.info:
                mapping, script = self._settings.info[domain]
                if user in mapping:
                    self.logger.info('running %s for project %s', script, mapping[user])
                else:
                    self.logger.warning('no project for %s', recipient)
        self._settingslock.release()

    def poll_settings(self):
        while True:
            time.sleep(self._settings.poll_interval)
            with self._settingslock:
                self._settings.load()


if __name__ == '__main__':
    logging.basicConfig(level=logging.INFO)
    server = MailServer()
    poller = threading.Thread(target=server.poll_settings)
    poller.daemon = True
    poller.start()
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        logging.info('stopping')

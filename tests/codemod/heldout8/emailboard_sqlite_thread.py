# Shape: a small "email board" web app (mail in over SMTP, shown on a web page):
# SmtpServer(smtpd.SMTPServer) with a class-level logger, __init__(localaddr, db_file)
# calling the base by name with remoteaddr=None as a keyword and then opening a reusable
# sqlite3 connection (table created if missing), a 4-argument process_message (default
# decode_data: TypeError on every message under Python 3) that would log the envelope with
# str.format and insert (timestamp, sender, receivers, subject, data); SmtpServerThread
# (daemon) whose run() logs, builds the server and calls asyncore.loop(); main() starts the
# web-app thread and the SMTP thread, then "monitors" them with join(10) calls in a while
# loop (while both are alive), logging an error for whichever died and returning on
# KeyboardInterrupt; logging.basicConfig(level=DEBUG) in the main block. (The web app is a
# thread serving until stdin closes; the monitor's thread.isAlive() calls, removed in
# Python 3.9, are is_alive() here; the SMTP thread sets an Event once its server exists so
# that the port can be printed, the web thread starts after that, and the SMTP join is
# skipped once the web thread has ended, so that the program does not sit out 10 s.)
import asyncore
import email
import logging
import smtpd
import sqlite3
import sys
import threading
import time

from _record import record


def get_database_connection(db_file):
    conn = sqlite3.connect(db_file, check_same_thread=False)
    conn.execute("CREATE TABLE IF NOT EXISTS emails "
                 "(timestamp INTEGER, sender TEXT, receivers TEXT, subject TEXT, data TEXT)")
    conn.commit()
    return conn


class WebAppServerThread(threading.Thread):
    log = logging.getLogger("emailboard.httpd")

    def __init__(self, server_host, server_port, db_file):
        threading.Thread.__init__(self)
        self.daemon = True
        self.server_host = server_host
        self.server_port = server_port
        self._db_file = db_file

    def run(self):
        self.log.debug("Starting server (%s:%d)" % (self.server_host, self.server_port))
        sys.stdin.read()


class SmtpServer(smtpd.SMTPServer):
    """
    Handler for SMTP requests.
    """

    log = logging.getLogger("emailboard.smtpd")

    def __init__(self, localaddr, db_file):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr=None)
        # Reusable database connection.
        self.db_connection = get_database_connection(db_file)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.log.debug("Message addressed from {0}".format(mailfrom))  # noqa: UP030, UP032
        self.log.debug("Message addressed to {0!r}".format(rcpttos))  # noqa: UP030, UP032
        c = self.db_connection.cursor()
        timestamp = int(time.time())
        msg = email.message_from_string(data)
        c.execute("INSERT INTO emails (timestamp, sender, receivers, subject, data) "
                  "VALUES (?,?,?,?,?)",
                  (timestamp, mailfrom, ",".join(rcpttos), msg["Subject"], data))
        self.db_connection.commit()


class SmtpServerThread(threading.Thread):
    """
    SMTP server thread.
    """

    log = logging.getLogger("emailboard.smtpdthread")

    def __init__(self, server_address, db_file):
        threading.Thread.__init__(self)
        self.daemon = True
        self.server_address = server_address
        self._db_file = db_file
        self.ready = threading.Event()

    def run(self):
        self.log.debug("Setting up SMTP server on {0}".format(self.server_address))  # noqa: UP030, UP032
        self._server = SmtpServer(self.server_address, self._db_file)
        self.ready.set()
        asyncore.loop()


def main():
    log = logging.getLogger("emailboard")
    db_file = "emailboard.sqlite"

    log.info("Starting web app server thread")
    httpd_thread = WebAppServerThread("localhost", 8989, db_file=db_file)

    log.info("Starting SMTP server thread")
    smtpd_thread = SmtpServerThread(server_address=("127.0.0.1", 0), db_file=db_file)
    smtpd_thread.start()
    smtpd_thread.ready.wait(10)
    print(smtpd_thread._server.socket.getsockname()[1], flush=True)
    httpd_thread.start()

    log.info("Monitoring the working threads.")
    try:
        while httpd_thread.is_alive() and smtpd_thread.is_alive():
            log.debug("Threads alive? HTTPD: {0}, SMTPD: {1}.".format(  # noqa: UP030, UP032
                httpd_thread.is_alive(), smtpd_thread.is_alive()))
            httpd_thread.join(10)
            if httpd_thread.is_alive():
                smtpd_thread.join(10)
        if not httpd_thread.is_alive():
            log.error("HTTP server thread died unexpectedly. There must be something wrong.")
        if not smtpd_thread.is_alive():
            log.error("SMTP server thread died unexpectedly. There must be something wrong.")
    except KeyboardInterrupt:
        log.info("Received keyboard interrupt: closing down.")
        return


if __name__ == "__main__":
    logging.basicConfig(level=logging.DEBUG)
    main()

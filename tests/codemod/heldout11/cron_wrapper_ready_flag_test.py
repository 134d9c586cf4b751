# Shape: a cron-wrapper script's mail tests: LocalSMTPServer(threading.Thread) whose
# __init__(port) sets ready = False, server = None and _port; run() builds the
# CustomSMTPServer there, sets ready and runs asyncore.loop(timeout=1); stop() closes the
# server (the loop ends once the map is empty); CustomSMTPServer(smtpd.SMTPServer) with
# __init__(local_addr, remote_addr) calling the base by name and setting peer, mailfrom,
# rcpttos and data to None, and a 4-argument process_message (default decode_data:
# TypeError on every message under Python 3) that would store them; the test's
# _instanciate_local_smtp_server(port) starts the thread and busy-waits on
# `while smtp_server.ready is not True: pass`. The test method runs by hand here, waits
# for stdin to close (the wrapper sends its report there), then checks and stops.
import asyncore
import smtpd
import sys
import threading
import unittest

from _record import record


class CronWrapperTest(unittest.TestCase):

    def test_report_is_mailed(self):
        smtp_server = self._instanciate_local_smtp_server(0)
        print(smtp_server.server.socket.getsockname()[1], flush=True)
        try:
            sys.stdin.read()  # ./cron_wrapper.sh runs here and mails its report
            print('last mail from:', smtp_server.server.mailfrom)
            print('last mail to:', smtp_server.server.rcpttos)
            self.assertIsNotNone(smtp_server.server.data, 'No message')
        finally:
            smtp_server.stop()
            smtp_server.join()

    def _instanciate_local_smtp_server(self, port):
        smtp_server = LocalSMTPServer(port)
        smtp_server.start()
        while smtp_server.ready is not True:
            pass
        return smtp_server


class LocalSMTPServer(threading.Thread):

    def __init__(self, port):
        threading.Thread.__init__(self)
        self.ready = False
        self.server = None
        self._port = port

    def run(self):
        self.server = CustomSMTPServer(('127.0.0.1', self._port), None)
        self.ready = True
        asyncore.loop(timeout=1)

    def stop(self):
        self.server.close()


class CustomSMTPServer(smtpd.SMTPServer):

    def __init__(self, local_addr, remote_addr):
        smtpd.SMTPServer.__init__(self, local_addr, remote_addr)
        self.peer = None
        self.mailfrom = None
        self.rcpttos = None
        self.data = None

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.peer = peer
        self.mailfrom = mailfrom
        self.rcpttos = rcpttos
        self.data = data
        return

if __name__ == "__main__":
    test = CronWrapperTest('test_report_is_mailed')
    try:
        test.test_report_is_mailed()
        print('ok')
    except AssertionError as error:
        print('FAIL:', error)

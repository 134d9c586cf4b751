# A unittest module's fixture: setUpClass keeps a sink on the class and submits the loop
# to a one-worker ThreadPoolExecutor (timeout=1 as a positional argument); tearDownClass
# closes every server with close_all() and shuts the executor down, waiting for the
# worker, whose loop returned once the map was empty. (Stopped by closing stdin: on
# Ctrl+C the executor's worker, never a daemon, would keep the program running.)
import asyncore
import concurrent.futures
import smtpd
import sys

from _record import record


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("got", len(data), "bytes for", len(rcpttos), "recipients", flush=True)


class MailTests:
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink(("127.0.0.1", 0), None)
        cls.executor = concurrent.futures.ThreadPoolExecutor(1)
        cls.served = cls.executor.submit(asyncore.loop, 1)

    @classmethod
    def tearDownClass(cls):
        asyncore.close_all()
        cls.executor.shutdown(wait=True)
        print("worker done", cls.served.done(), flush=True)


MailTests.setUpClass()
print(MailTests.sink.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
MailTests.tearDownClass()

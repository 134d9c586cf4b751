# Shape: an OTP server's selenium-test helper: SmtpListener(SMTPServer) (imported with
# `from smtpd import SMTPServer`) whose __init__(localaddr, queue) calls the base by name
# with decode_data=True, process_message(**_kwargs) puts the data on a
# multiprocessing.Queue, get_port() reads the socket; get_otp_mail(queue, timeout) runs
# in a multiprocessing.Process: it builds the listener, sends the port through the queue
# and runs asyncore.loop(5, False, None, timeout) with POSITIONAL arguments (timeout,
# use_poll, map, count), then closes the server; SmtpMessageServer is a context manager:
# __enter__ starts the Process and reads the port (queue.get(True, 5)), get_otp() reads a
# message with email.message_from_string, __exit__ closes the queue, terminate()s and
# join(5)s the process. (The test case and the OTP server's configuration are left out;
# the test reads every message after stdin closes; the count is generous here.)
import asyncore
import email
import logging
import queue as queue_module
import sys
from multiprocessing import Process, Queue
from smtpd import SMTPServer

from _record import record

logger = logging.getLogger(__name__)


class SmtpListener(SMTPServer):
    """SMTPServer class to handle incoming SMTP messages"""

    def __init__(self, localaddr, queue):
        SMTPServer.__init__(self, localaddr, None, decode_data=True)
        self.queue = queue

    def process_message(self, peer, mailfrom, rcpttos, data, **_kwargs):
        record(peer, mailfrom, rcpttos, data, **_kwargs)
        logger.debug("Mail from:%s to:%s data:<%s>", mailfrom, rcpttos, data)
        self.queue.put(data)

    def get_port(self):
        assert self.socket
        addr = self.socket.getsockname()
        logger.debug("SMTP server listening on %s:%s", addr[0], addr[1])
        return addr[1]


def get_otp_mail(queue, timeout):
    """Background process runner: start the server, send its port, relay messages."""
    smtpserver = SmtpListener(("127.0.0.1", 0), queue)
    port = smtpserver.get_port()
    queue.put(port)
    logger.debug("Waiting on port %s for OTP email", port)
    asyncore.loop(5, False, None, timeout)
    smtpserver.close()


class SmtpMessageServer(object):  # noqa: UP004
    """Start an SMTP server in a process and read the results back to the tester."""

    def __init__(self, message_timeout):
        self.timeout = message_timeout
        self.msg_payload = None

    def __enter__(self):
        self.smtp_process_queue = Queue()
        self.smtp_process = Process(
            target=get_otp_mail, args=(self.smtp_process_queue, self.timeout)
        )
        self.smtp_process.start()
        self.port = self.smtp_process_queue.get(True, 5)
        return self

    def get_otp(self):
        messagestr = self.smtp_process_queue.get(True, 1)
        msg = email.message_from_string(messagestr)
        otp = msg.get_payload()
        logger.debug("Received email message payload:%s", otp)
        return otp

    def __exit__(self, *args):
        self.smtp_process_queue.close()
        self.smtp_process.terminate()
        self.smtp_process.join(5)


if __name__ == "__main__":
    with SmtpMessageServer(message_timeout=500) as smtp:
        print(smtp.port, flush=True)
        sys.stdin.read()
        while True:
            try:
                print("OTP mail body:", repr(smtp.get_otp()))
            except queue_module.Empty:
                break
    print("listener alive after exit:", smtp.smtp_process.is_alive())

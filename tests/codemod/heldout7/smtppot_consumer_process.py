# Shape: an SMTP honeypot with a consumer process: Server(SMTPServer) whose __init__(
# credentials, bind_pair, queue, handled_domain='', open_relay=False) stores everything in
# name-mangled privates before calling the base by name, a private __extract_domain()
# regex helper, process_message(self, peer, mailfrom, rcpttos, data, auth_data) that
# answers "530 Authentication required" for unauthenticated mail to outside domains and
# otherwise puts extra headers + data on a multiprocessing Queue, and an unused run()
# that builds a Process(target=self.__do_run) and calls p.run() (not start()); the script
# builds the server, starts a consumer multiprocessing.Process (which ignores SIGINT and
# runs hooks on each parsed message until it gets None), installs
# signal.signal(SIGINT, lambda x, y: asyncore.close_all()), runs asyncore.loop() inside
# try/except Exception: pass, then puts None on the queue and joins the consumer.
# (Ported to the stdlib server: decode_data=True since the data is used as str, and
# auth_data defaults to None as no AUTH channel is left; the hooks are a local list.)
import asyncore
import email
import re
import signal
from multiprocessing import Process, Queue
from smtpd import SMTPServer

from _record import record


class Message:
    def __init__(self, msg):
        self.msg = msg
        self.subject = msg["Subject"]
        self.client_ip = msg["X-Client-IP"]
        self.rcpt_to = msg["X-RCPT-To"]


class HookManager:
    def __init__(self):
        self.hooks = []

    def load_hooks(self, directory):
        self.hooks = [self.print_hook]

    def print_hook(self, msg):
        print("hook: %s from %s to %s" % (msg.subject, msg.client_ip, msg.rcpt_to), flush=True)

    def run_hooks(self, msg):
        for hook in self.hooks:
            hook(msg)


class Consumer:
    def __init__(self, queue, hook_manager):
        self.__queue = queue
        self.__hook_manager = hook_manager

    def process(self):
        while True:
            data = self.__queue.get()
            # We push None when there's nothing left
            if data is None:
                return
            msg = email.message_from_string(data)
            msg = Message(msg)
            self.__hook_manager.run_hooks(msg)


class Server(SMTPServer):
    def __init__(self, credentials, bind_pair, queue, handled_domain="", open_relay=False):
        self.__credentials = credentials
        self.__domain = handled_domain
        self.__queue = queue
        self.__open_relay = open_relay
        SMTPServer.__init__(self, bind_pair, None, decode_data=True)

    def __extract_domain(self, mail):
        matches = re.findall("@(.*)", mail)
        return matches[0] if any(matches) else ""

    def process_message(self, peer, mailfrom, rcpttos, data, auth_data=None):
        record(peer, mailfrom, rcpttos, data)
        if not self.__open_relay:
            domains = map(self.__extract_domain, rcpttos)
            extern_domains = filter(lambda i: i != self.__domain, domains)
            if any(extern_domains) and auth_data is None:
                return "530 Authentication required"
        extra_headers = [
            "X-Client-IP: " + peer[0],
            "X-RCPT-To: " + ",".join(rcpttos),
        ]
        if auth_data:
            extra_headers.append("X-Authenticated-Username: " + auth_data[0])
        extra_headers.append("")
        self.__queue.put("\r\n".join(extra_headers) + data)

    def __do_run(self):
        asyncore.loop()

    def run(self):
        p = Process(target=self.__do_run)
        p.run()


def run_consumer(queue):
    try:
        hook_manager = HookManager()
        hook_manager.load_hooks("hooks")
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        consumer = Consumer(queue, hook_manager)
        consumer.process()
    except Exception:
        pass


credentials = [
    ("user", "pass"),
]
queue = Queue()
srv = Server(credentials, ("127.0.0.1", 0), queue, "example.com")
print(srv.socket.getsockname()[1], flush=True)
consumer_proc = Process(target=run_consumer, args=(queue,))
consumer_proc.start()

signal.signal(signal.SIGINT, lambda x, y: asyncore.close_all())
try:
    asyncore.loop()
except Exception:
    pass
queue.put(None)
consumer_proc.join()
print("consumer exit code:", consumer_proc.exitcode)

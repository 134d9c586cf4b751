# A sink written for Python 2 and 3 alike: __init__ collects smtpd's options in a dict
# (a literal first), adds decode_data only where smtpd knows it (a version_info.major
# guard), and passes the dict on as **options; the loop runs on a daemon thread the
# main code starts, and close() plus a join end it.
import asyncore
import smtpd
import sys
import threading

from _record import record


class PortableSink(smtpd.SMTPServer):
    def __init__(self, localaddr, decode=True):
        self.sizes = []
        options = {"enable_SMTPUTF8": False}
        if sys.version_info.major >= 3:  # noqa: UP036
            # smtpd on Python 3.5+ warns unless decode_data is given
            options["decode_data"] = decode
        smtpd.SMTPServer.__init__(self, localaddr, None, **options)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.sizes.append((type(data).__name__, len(data)))


sink = PortableSink(("127.0.0.1", 0), decode=False)
print(sink.socket.getsockname()[1], flush=True)
loop_thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
loop_thread.daemon = True
loop_thread.start()
sys.stdin.readline()  # the test closes stdin when its dialogues are done
sink.close()
loop_thread.join(10)
print("sizes:", sink.sizes, "alive:", loop_thread.is_alive(), flush=True)

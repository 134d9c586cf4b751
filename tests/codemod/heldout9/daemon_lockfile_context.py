# Shape: a mail sink run as a daemon with python-daemon: a DaemonContext (here a stand-in
# that does not fork: working_directory, a lock file created on enter and removed on
# exit, files_preserve for the listening socket) entered with `with context:`;
# SinkServer(smtpd.SMTPServer) built before the context with a 4-argument process_message
# (default decode_data: TypeError on every message under Python 3) that appends a line to
# sink.log; inside the context a bare asyncore.loop(), so Ctrl+C leaves the with block by
# KeyboardInterrupt (the stand-in's __exit__ removes the lock and says so).
import asyncore
import os
import smtpd

from _record import record

HERE = os.path.dirname(os.path.abspath(__file__))


class DaemonContext:
    """Stand-in for daemon.DaemonContext: no fork, no detach, the same lifecycle."""

    def __init__(self, working_directory, pidfile, files_preserve=()):
        self.working_directory = working_directory
        self.pidfile = pidfile
        self.files_preserve = list(files_preserve)

    def __enter__(self):
        os.chdir(self.working_directory)
        with open(self.pidfile, "w") as f:
            f.write("locked\n")
        return self

    def __exit__(self, *exc):
        os.remove(self.pidfile)
        print("daemon context closed, lock removed", flush=True)
        return False


class SinkServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        with open(os.path.join(HERE, "sink.log"), "a") as f:
            f.write("%s -> %s (%d bytes)\n" % (mailfrom, ",".join(rcpttos), len(data)))


server = SinkServer(("127.0.0.1", 0), None)
context = DaemonContext(
    working_directory=HERE,
    pidfile=os.path.join(HERE, "sink.lock"),
    files_preserve=[server.socket.fileno()],
)
print(server.socket.getsockname()[1], flush=True)
with context:
    asyncore.loop()

# Shape: a test helper process: DummySMTP(smtpd.DebuggingServer) whose __init__(port,
# pipe) calls smtpd.SMTPServer.__init__ by name on ('', port) (skipping
# DebuggingServer's), prints "DummySMTP listening on port <port>." and sends "UP" (here
# with the real port) through a multiprocessing pipe (printed first here: after the send,
# the child's line and the parent's port line could interleave on the shared stdout, and
# the harness would see no port); process_message(*args, **kwargs)
# calls DebuggingServer.process_message with them, then sends (args, kwargs) through the
# pipe; loop(pipe) builds it and runs asyncore.loop(timeout=2) in try/except
# KeyboardInterrupt printing "Shutting down.", then close(). The test runs loop in a
# multiprocessing.Process and reads the pipe; at Ctrl+C (a SIGINT handler's flag, so
# that ^C never lands inside a recv() and tears the pipe) it interrupts the child too,
# joins it and reports what came through the pipe.
import asyncore
import multiprocessing
import os
import signal
import smtpd

from _record import record


class DummySMTP(smtpd.DebuggingServer):
    def __init__(self, port, pipe):
        smtpd.SMTPServer.__init__(self, ("127.0.0.1", port), None)
        self.pipe = pipe
        print("DummySMTP listening on port " + str(port) + ".")
        self.pipe.send(("UP", self.socket.getsockname()[1]))

    def process_message(self, *args, **kwargs):
        record(*args, **kwargs)
        smtpd.DebuggingServer.process_message(self, *args, **kwargs)
        self.pipe.send((args, kwargs))


def loop(pipe):
    x = DummySMTP(0, pipe)
    try:
        asyncore.loop(timeout=2)
    except KeyboardInterrupt:
        print("Shutting down.")
    x.close()


if __name__ == "__main__":
    parent_end, child_end = multiprocessing.Pipe()
    child = multiprocessing.Process(target=loop, args=(child_end,))
    child.start()
    state, port = parent_end.recv()
    print(port, flush=True)
    received = []
    interrupted = []  # ^C only sets this: a recv() cut in half would leave the pipe torn
    signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    while not interrupted:
        if parent_end.poll(0.1):
            received.append(parent_end.recv())
    os.kill(child.pid, signal.SIGINT)  # what ^C in the terminal did to the group
    child.join()
    while parent_end.poll():
        received.append(parent_end.recv())
    print("%s, then %d messages through the pipe" % (state, len(received)))
    for args, kwargs in received:
        print(" ", args[1], args[2], sorted(kwargs))

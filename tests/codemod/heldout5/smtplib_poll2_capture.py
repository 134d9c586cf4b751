# Shape: the stdlib smtplib tests' debugging server: sys.stdout swapped for an io.StringIO
# to capture what a smtpd.DebuggingServer prints, smtpd.DEBUGSTREAM swapped for another
# StringIO, the server built with a dummy remote ('nowhere', -1) and decode_data=True, and a
# debugging_server(serv, serv_evt, client_evt) thread function that calls asyncore.poll2
# (or asyncore.poll) directly on asyncore.socket_map with a countdown, closes the server
# when the client event is set, then asyncore.close_all() and sets the server event;
# setUp/tearDown-style start and stop around the run, then the captured output is printed.
import asyncore
import io
import select
import smtpd
import sys
import threading
import time

HOST = "127.0.0.1"


def debugging_server(serv, serv_evt, client_evt):
    serv_evt.set()
    try:
        if hasattr(select, "poll"):
            poll_fun = asyncore.poll2
        else:
            poll_fun = asyncore.poll
        n = 6000
        while asyncore.socket_map and n > 0:
            poll_fun(0.01, asyncore.socket_map)
            # when the client conversation is finished, it will set client_evt, and it's
            # then ok to kill the server
            if client_evt.is_set():
                serv.close()
                break
            n -= 1
    except TimeoutError:
        pass
    finally:
        if not client_evt.is_set():
            # allow some time for the client to read the result
            time.sleep(0.5)
            serv.close()
        asyncore.close_all()
        serv_evt.set()


class DebuggingServerRun:
    def setUp(self):
        self.old_stdout = sys.stdout
        self.output = io.StringIO()
        sys.stdout = self.output
        self.serv_evt = threading.Event()
        self.client_evt = threading.Event()
        self.old_DEBUGSTREAM = smtpd.DEBUGSTREAM
        smtpd.DEBUGSTREAM = io.StringIO()
        self.serv = smtpd.DebuggingServer((HOST, 0), ("nowhere", -1), decode_data=True)
        self.port = self.serv.socket.getsockname()[1]
        serv_args = (self.serv, self.serv_evt, self.client_evt)
        self.thread = threading.Thread(target=debugging_server, args=serv_args)
        self.thread.start()
        self.serv_evt.wait()
        self.serv_evt.clear()

    def tearDown(self):
        self.client_evt.set()
        self.serv_evt.wait()
        self.thread.join(10)
        sys.stdout = self.old_stdout
        smtpd.DEBUGSTREAM.close()
        smtpd.DEBUGSTREAM = self.old_DEBUGSTREAM


if __name__ == "__main__":
    run = DebuggingServerRun()
    run.setUp()
    print(run.port, file=sys.__stdout__, flush=True)
    sys.stdin.read()
    run.tearDown()
    captured = run.output.getvalue()
    print("captured %d lines" % len(captured.splitlines()))
    print(captured, end="")

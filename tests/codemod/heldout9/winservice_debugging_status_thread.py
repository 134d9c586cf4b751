# Shape: a Windows service wrapping a dummy SMTP server (pywin32's ServiceFramework):
# DummySMTPService with SvcStop() that reports STOP_PENDING and sets the stop event, and
# SvcDoRun() that reports RUNNING, makes a log directory, builds smtpd.DebuggingServer((
# "0.0.0.0", 25), None), starts Thread(target=asyncore.loop, kwargs={"timeout": 1}) and a
# status thread waiting on the stop event, then waits for the status thread, closes the
# server with asyncore.close_all() and joins the loop thread. (pywin32 is replaced by a
# small stand-in: the service control manager stops the service when stdin closes; the
# log directory is next to the program; the port is 0.)
import asyncore
import os
import smtpd
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


class win32service:  # noqa: N801 - stand-in for the pywin32 module
    SERVICE_RUNNING = 4
    SERVICE_STOP_PENDING = 3


class ServiceFramework:
    def __init__(self, args):
        self.args = args

    def ReportServiceStatus(self, status):  # noqa: N802
        print("service status:", status, flush=True)


class DummySMTPService(ServiceFramework):
    _svc_name_ = "DummySMTP"
    _svc_display_name_ = "Dummy SMTP server"

    def __init__(self, args):
        ServiceFramework.__init__(self, args)
        self.hWaitStop = threading.Event()

    def SvcStop(self):  # noqa: N802
        self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING)
        self.hWaitStop.set()

    def SvcDoRun(self):  # noqa: N802
        self.ReportServiceStatus(win32service.SERVICE_RUNNING)
        logdir = os.path.join(HERE, "DummySMTPLogs")
        if not os.path.exists(logdir):
            os.makedirs(logdir)
        server = smtpd.DebuggingServer(("127.0.0.1", 0), None)
        print(server.socket.getsockname()[1], flush=True)
        asyncoreThread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 1})
        asyncoreThread.start()
        myStatusThread = threading.Thread(target=self.hWaitStop.wait)
        myStatusThread.start()
        myStatusThread.join()
        asyncore.close_all()
        asyncoreThread.join()
        print("service stopped", flush=True)


if __name__ == "__main__":
    service = DummySMTPService(sys.argv)
    scm = threading.Thread(target=lambda: (sys.stdin.read(), service.SvcStop()))
    scm.start()
    service.SvcDoRun()
    scm.join()

# Shape: a reporting tool's test helpers: DebuggingServer(smtpd.DebuggingServer) (same
# name as the base) whose __init__(addr, port) calls smtpd.DebuggingServer.__init__ by name
# with keywords localaddr=(addr, port), remoteaddr=None; DebuggingServerThread(
# threading.Thread) whose __init__(addr='localhost', port=4000) passes
# target=asyncore.loop, kwargs={'timeout': 1} to threading.Thread.__init__ and then
# builds the server; stop() only closes the server (the sleep and join after it are
# commented out). The tests start the thread, send mail and stop it. (127.0.0.1 port 0;
# the test body waits for stdin to close; the non-daemon loop thread ends by itself once
# the map is empty.)
import asyncore
import smtpd
import sys
import threading


class DebuggingServer(smtpd.DebuggingServer):

    def __init__(self, addr, port):
        smtpd.DebuggingServer.__init__(self, localaddr=(addr, port), remoteaddr=None)


class DebuggingServerThread(threading.Thread):

    def __init__(self, addr="localhost", port=4000):
        threading.Thread.__init__(self, target=asyncore.loop, kwargs={"timeout": 1})
        self.server = DebuggingServer(addr, port)

    def stop(self):
        """Stop listening now to port 25"""
        # close the SMTPserver to ensure no channels connect to asyncore
        self.server.close()
        # sleep(1)
        # # now it is save to wait for the thread to finish, i.e. for asyncore.loop() to exit
        # self.join()


if __name__ == "__main__":
    smtp_thread = DebuggingServerThread("127.0.0.1", 0)
    smtp_thread.start()
    print(smtp_thread.server.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    smtp_thread.stop()
    print("stopped")

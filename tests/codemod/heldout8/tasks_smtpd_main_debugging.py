# Shape: a to-do web app's developer tasks (its Makefile target `email-check: python -m
# smtpd -n -c DebuggingServer localhost:1025`, done here as a Python tasks file): a task
# function that runs smtpd's own command line as `python -m smtpd` would (runpy with
# run_name='__main__'), with -n (no setuid), -c DebuggingServer (a class in smtpd itself)
# and host:port, so every message is printed by DebuggingServer with the default
# decode_data (lines printed as bytes reprs); ended by Ctrl+C with smtpd's traceback.
# (The port is chosen up front by binding port 0 and closing; smtpd's main binds it, and
# a watcher thread prints the port once a probe connection there succeeds.)
import runpy
import socket
import sys
import threading
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def email_check(port):
    sys.argv = ["smtpd", "-n", "-c", "DebuggingServer", "127.0.0.1:%d" % port]
    runpy.run_module("smtpd", run_name="__main__", alter_sys=True)


def announce_when_listening(port, deadline=10.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                print(port, flush=True)
                return
        time.sleep(0.01)


TASKS = {"email-check": email_check}

if __name__ == "__main__":
    port = free_port()
    threading.Thread(target=announce_when_listening, args=(port,), daemon=True).start()
    TASKS[sys.argv[1] if len(sys.argv) > 1 else "email-check"](port)

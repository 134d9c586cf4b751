# Shape: a web framework's mail-sending doctest ("To test the server, we'll create a fake
# SMTP server"): `import smtpd, asyncore, threading, socket` on one line, a
# smtpd_target() function that builds smtpd.DebuggingServer((host, port), None,
# decode_data=True) without keeping it and calls asyncore.loop(), a daemon Thread running
# it, then a busy `while socket.socket().connect_ex((host, port)) != 0: pass` until the
# server answers (the probe connection is accepted, greeted and dropped), then the client
# code under test sends its mail. (The port is chosen up front by binding port 0 and
# closing, since the server is made on the thread; the client code is the dialogues,
# and the doctest ends when stdin closes.)
import asyncore
import smtpd
import socket
import sys
import threading


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


PORT = free_port()


def smtpd_target():
    smtpd.DebuggingServer(("127.0.0.1", PORT), None, decode_data=True)
    asyncore.loop()


smtpd_thread = threading.Thread(target=smtpd_target)
smtpd_thread.daemon = True
smtpd_thread.start()

while socket.socket().connect_ex(("127.0.0.1", PORT)) != 0:
    pass

print(PORT, flush=True)
sys.stdin.read()
print("doctest done")

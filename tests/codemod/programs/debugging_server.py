# smtpd.DebuggingServer printing every message to stdout.
import asyncore
import smtpd

server = smtpd.DebuggingServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

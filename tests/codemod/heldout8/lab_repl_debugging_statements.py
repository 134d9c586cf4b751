# Shape: a database-mail lab's step-by-step instructions typed into a python3 REPL in a
# PuTTY session: `import smtpd, asyncore`, then
# `server = smtpd.DebuggingServer(('localhost', 8000), None)`, then `asyncore.loop()`;
# the lab's SQL side then sends a test mail and the message appears in the session;
# Ctrl+C ends the loop. (As a script: the same three statements at module level, port 0,
# and the port printed between the second and the third.)
import asyncore
import smtpd

server = smtpd.DebuggingServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

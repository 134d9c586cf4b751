# Shape: a developer's "local debug SMTP" script: smtpd.DebuggingServer instantiated
# directly (no subclass) with decode_data=True, a start-up notice, asyncore.loop(timeout=1)
# and a KeyboardInterrupt message.
import asyncore
import smtpd

server = smtpd.DebuggingServer(("127.0.0.1", 0), None, decode_data=True)
print("Starting debug SMTP server (prints to stdout)")
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop(timeout=1)
except KeyboardInterrupt:
    print("Debug SMTP server stopped")

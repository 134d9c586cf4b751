# Shape: a two-line dev helper: a module-level smtpd.DebuggingServer(('localhost',
# port), None) and asyncore.loop() in try/except KeyboardInterrupt: pass.
import asyncore
import smtpd

smtp = smtpd.DebuggingServer(("127.0.0.1", 0), None)
print(smtp.socket.getsockname()[1], flush=True)

try:
    asyncore.loop()
except KeyboardInterrupt:
    pass

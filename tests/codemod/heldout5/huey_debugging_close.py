# Shape: a task-queue example app's "run_smtp_server.py": a module-level
# smtpd.DebuggingServer instance (no subclass) under __main__, then
# try: asyncore.loop() except KeyboardInterrupt: smtp_server.close().
__author__ = "example"

import asyncore
import smtpd

if __name__ == "__main__":
    smtp_server = smtpd.DebuggingServer(("127.0.0.1", 0), None)
    print(smtp_server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        smtp_server.close()

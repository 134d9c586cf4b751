# Shape: a task-queue example app's run_smtp_server.py: under __main__ only, a
# smtpd.DebuggingServer instance (no subclass) and asyncore.loop() in try/except
# KeyboardInterrupt that closes the server.
import asyncore
import smtpd

if __name__ == "__main__":
    smtp_server = smtpd.DebuggingServer(("127.0.0.1", 0), None)
    print(smtp_server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        smtp_server.close()

# Shape: a task-queue web example's run_smtp_server.py: a `# coding: utf-8` header with
# __author__ and __copyright set, and under `if __name__ == "__main__":` an
# smtpd.DebuggingServer(('localhost', 25), None) instance (127.0.0.1:0 here) kept as
# smtp_server, asyncore.loop() in try/except KeyboardInterrupt that closes it.
# coding: utf-8
__author__ = 'A. Developer'
__copyright = 'Copyright 2017, A. Developer'

import smtpd
import asyncore


if __name__ == "__main__":
    smtp_server = smtpd.DebuggingServer(('127.0.0.1', 0), None)
    print(smtp_server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        smtp_server.close()

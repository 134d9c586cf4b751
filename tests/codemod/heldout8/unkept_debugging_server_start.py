# Shape: a tiny "debug mail server" module: `import asyncore, smtpd` on one line, a
# server_start() function that calls smtpd.DebuggingServer(('localhost', 25), None)
# without keeping the object and then asyncore.loop(), and an `if __name__ == '__main__':`
# guard calling it; Ctrl+C ends it with a traceback. (Port 0 here; the port is printed
# from the unkept object's socket in the same expression.)
import asyncore
import smtpd


def server_start():
    print(smtpd.DebuggingServer(("127.0.0.1", 0), None).socket.getsockname()[1], flush=True)
    asyncore.loop()


if __name__ == "__main__":
    server_start()

# Shape: a "run a local SMTP debug server" script: an empty DebuggingServer subclass,
# a main() creating it and looping, KeyboardInterrupt printing a goodbye line.
import asyncore
import smtpd

HOST = "127.0.0.1"


class DebugServer(smtpd.DebuggingServer):
    pass


def main():
    server = DebugServer((HOST, 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("Stopping SMTP debug server")


if __name__ == "__main__":
    main()

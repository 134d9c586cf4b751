# smtpd.SMTPServer itself, made and looped in main(): every message raised
# NotImplementedError in process_message and smtpd dropped the connection.
import asyncore
import smtpd


def main():
    server = smtpd.SMTPServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        server.close()
        print("bye", flush=True)


main()

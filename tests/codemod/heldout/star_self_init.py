# Shape: the "noddy fake SMTP server" gist. __init__ and process_message both take
# (*args, **kwargs) with self hidden in args; the base __init__ is called explicitly.
import asyncore
import smtpd

from _record import record


class NoddyServer(smtpd.SMTPServer):
    def __init__(*args, **kwargs):
        print("starting the fake server")
        smtpd.SMTPServer.__init__(*args, **kwargs)

    def process_message(*args, **kwargs):
        record(*args[1:], **kwargs)


if __name__ == "__main__":
    noddy = NoddyServer(("127.0.0.1", 0), None)
    print(noddy.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        noddy.close()

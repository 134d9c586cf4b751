# Shape: a Postfix after-queue content filter (the "simple" filter of Postfix's FILTER
# README in Python): module-level settings (listen port, reinjection port 10026,
# raise_on_fail), a log() helper appending to a log file, a myException class, and
# CustomSMTPServer(smtpd.SMTPServer) whose process_message spells out
# mail_options=None, rcpt_options=None, rewrites the message (email.message_from_bytes,
# an added header, a tagged Subject), reinjects it with smtplib.SMTP(...).sendmail() and
# returns the literal "250 OK" when nothing was refused, else "500 Server refused
# recipients : [...] " (or raises, with raise_on_fail); the whole body sits in a
# try/except Exception that logs the error and answers a 4xx so that no message is lost
# silently; main builds the server and runs asyncore.loop() in try/except
# KeyboardInterrupt. (Postfix's reinjection listener is a small local stand-in thread that
# refuses nobody@example.com and queues what it gets to a file.)
import asyncore
import email
import smtpd
import smtplib
import socketserver
import threading

from _record import record

LISTEN = ("127.0.0.1", 0)
raise_on_fail = False
LOGFILE = "filter.log"
REINJECT = ["127.0.0.1", 10026]


def log(text):
    with open(LOGFILE, "a") as f:
        f.write(text + "\n")


class myException(Exception):
    pass


def reinject(envfrom, envrcpts, msg):
    # let exceptions be caught by the global catching
    smtp_client = smtplib.SMTP(REINJECT[0], REINJECT[1])
    ret = smtp_client.sendmail(envfrom, envrcpts, msg.as_bytes())
    smtp_client.quit()
    if ret == {}:
        return "250 OK"
    else:
        refused = list(ret.keys())
        log("Server refused recipients : {} ".format(ret))  # noqa: UP032
        if raise_on_fail:
            raise smtplib.SMTPException("Server refused recipients : {} ".format(refused))  # noqa: UP032
        else:
            return "500 Server refused recipients : {} ".format(refused)  # noqa: UP032


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, envfrom, envrcpts, data, mail_options=None,
                        rcpt_options=None):
        record(peer, envfrom, envrcpts, data, mail_options=mail_options,
               rcpt_options=rcpt_options)
        try:
            log("message from {} to {} options {}".format(envfrom, envrcpts, mail_options))  # noqa: UP032
            msg = email.message_from_bytes(data)
            if any(r.startswith("boom@") for r in envrcpts):
                raise myException("cannot rewrite message for {}".format(envrcpts))  # noqa: UP032
            msg["X-Content-Filter"] = "pyfilter"
            subject = msg["Subject"]
            del msg["Subject"]
            msg["Subject"] = "[filtered] " + str(subject)
            return reinject(envfrom, envrcpts, msg)
        except Exception as e:
            log("Filter error: {!r}".format(e))  # noqa: UP032
            return "451 4.3.0 Error: content filter failed"


class PostfixStandIn(socketserver.StreamRequestHandler):
    """Stands in for Postfix's reinjection smtpd on 10026."""

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 postfix ESMTP")
        while True:
            line = self.rfile.readline().decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if not line or verb == "QUIT":
                self.reply("221 Bye")
                return
            if verb == "RCPT" and "nobody@" in line:
                self.reply("550 5.1.1 User unknown")
            elif verb == "DATA":
                self.reply("354 go ahead")
                lines = []
                while True:
                    body = self.rfile.readline()
                    if body in (b".\r\n", b""):
                        break
                    lines.append(body.decode())
                with open("postfix_queue.txt", "a") as f:
                    f.write("".join(lines) + "--\n")
                self.reply("250 2.0.0 queued")
            else:
                self.reply("250 ok")


def main():
    postfix = socketserver.TCPServer(("127.0.0.1", 0), PostfixStandIn)
    REINJECT[1] = postfix.server_address[1]
    threading.Thread(target=postfix.serve_forever, daemon=True).start()
    server = CustomSMTPServer(LISTEN, None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        log("interrupted")


if __name__ == "__main__":
    main()

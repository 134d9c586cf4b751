# Shape: a small mailbox server script: SmtpMailServer(smtpd.SMTPServer) whose
# __init__(*args, **kwargs) calls the base by name and sets mailboxFile = None, a
# setMailboxFile() setter called after construction; a 4-argument process_message (the
# script passes decode_data=True) that does nothing without a mailbox file, otherwise
# prints the message DebuggingServer-style between "MESSAGE FOLLOWS" and "END MESSAGE"
# with an X-Peer line after the headers and appends it to the mbox through
# mailbox.mbox and email.parser.Parser; a bare asyncore.loop() in the __main__ block.
import asyncore
import email.parser
import mailbox
import smtpd

from _record import record


class SmtpMailServer(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.mailboxFile = None

    def setMailboxFile(self, mailboxFile):
        self.mailboxFile = mailboxFile

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        if self.mailboxFile is not None:
            inheaders = 1
            lines = data.split("\n")
            print("---------- MESSAGE FOLLOWS ----------")
            for line in lines:
                # headers first
                if inheaders and not line:
                    print("X-Peer:", peer[0])
                    inheaders = 0
                print(line)
            print("------------ END MESSAGE ------------")
            mbox = self.mailboxFile
            parser = email.parser.Parser()
            msg = parser.parsestr(data)
            if not msg["To"]:
                msg["To"] = ", ".join(rcpttos)
            mbox.add(mailbox.mboxMessage(msg))
            mbox.flush()


if __name__ == "__main__":
    server = SmtpMailServer(("127.0.0.1", 0), None, decode_data=True)
    server.setMailboxFile(mailbox.mbox("received.mbox"))
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()

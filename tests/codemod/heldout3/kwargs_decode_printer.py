# Shape: a minimal "print every mail" script: CustomSMTPServer with a **kwargs
# process_message printing a banner, envelope and data.decode("utf-8", errors="replace"),
# a bare return; a module-level server and a bare asyncore.loop() ended by Ctrl+C.
import asyncore
import smtpd

from _record import record


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("=== New Mail ===")
        print("From:", mailfrom)
        print("To:", rcpttos)
        print("Data:", data.decode("utf-8", errors="replace"))
        print("================")
        return


server = CustomSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()

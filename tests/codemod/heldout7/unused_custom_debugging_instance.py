# Shape: a student's copy of the smtpd tutorial: CustomSMTPServer(smtpd.SMTPServer) with
# the 4-argument printing process_message (Receiving message from / addressed from /
# addressed to / length) and `return`, defined but never used: the server actually built
# at module level is smtpd.DebuggingServer(('127.0.0.1', 11000), None), then a bare
# asyncore.loop(). (Port 0; the port line is printed from the server's socket.)
import asyncore
import smtpd

from _record import record


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("Receiving message from:", peer)
        print("Message addressed from:", mailfrom)
        print("Message addressed to  :", rcpttos)
        print("Message length        :", len(data))
        return


server = smtpd.DebuggingServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)

asyncore.loop()

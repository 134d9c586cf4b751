# Shape: a tutorial-style receiver whose CustomSMTPServer(smtpd.SMTPServer) re-declares the
# whole stdlib signature in __init__ (localaddr, remoteaddr, data_size_limit=33554432,
# map=None, enable_SMTPUTF8=False, decode_data=False) and forwards every argument
# POSITIONALLY to super(CustomSMTPServer, self).__init__; a 4-argument process_message
# (safe here: the server is built with decode_data=True) printing the PyMOTW lines and the
# whole data; module-level server and a bare asyncore.loop(). (The peer is printed
# without its port.)
import asyncore
import smtpd

from _record import record


class CustomSMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, data_size_limit=33554432, map=None,
                 enable_SMTPUTF8=False, decode_data=False):
        # 再利用している
        super(CustomSMTPServer, self).__init__(  # noqa: UP008
            localaddr, remoteaddr, data_size_limit, map,
                                               enable_SMTPUTF8, decode_data)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("Receiving message from:", peer[0])
        print("Message addressed from:", mailfrom)
        print("Message addressed to  :", rcpttos)
        print("Message length        :", len(data))
        print("Message data  :", data)
        return


server = CustomSMTPServer(("127.0.0.1", 0), None, decode_data=True)
print(server.socket.getsockname()[1], flush=True)

asyncore.loop()

# Shape: a mail-to-chat bridge: ChatSMTPServer(smtpd.SMTPServer) whose __init__ spells
# out every stdlib keyword plus config=, calls the base by name with them and keeps the
# config; a 4-argument process_message posts "[room] sender: subject" to the chat room
# named in the config; main reads a key=value property file (written beside the program
# here), builds the server with data_size_limit=33554432, map=None,
# enable_SMTPUTF8=False, decode_data=True, config=..., prints "run!" and the host, and
# loops in try/except Exception printing the error (Ctrl+C is not an Exception).
import asyncore
import email
import os
import smtpd

from _record import record

PROPERTY = "server.property"


def get_property(path, encoding):
    if not os.path.exists(path):
        with open(path, "w", encoding=encoding) as f:
            f.write("localHost=127.0.0.1\nlocalPort=0\nroom=general\n")
    values = {}
    with open(path, encoding=encoding) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                key, value = line.rstrip("\n").split("=", 1)
                values[key.strip()] = value.strip()
    return values


class ChatRoom:
    def __init__(self, name):
        self.name = name
        self.posts = 0

    def post(self, text):
        self.posts += 1
        print("[%s] %s" % (self.name, text))


class ChatSMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, data_size_limit=smtpd.DATA_SIZE_DEFAULT,
                 map=None, enable_SMTPUTF8=False, decode_data=False, config=None):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr,
                                  data_size_limit=data_size_limit, map=map,
                                  enable_SMTPUTF8=enable_SMTPUTF8,
                                  decode_data=decode_data)
        self.config = config
        self.room = ChatRoom(config["room"])

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        message = email.message_from_string(data)
        self.room.post("%s: %s" % (mailfrom, message.get("Subject", "(no subject)")))


if __name__ == "__main__":
    try:
        iniData = get_property("./" + PROPERTY, "utf-8")
        localServer = (iniData["localHost"], int(iniData["localPort"]))
        server = ChatSMTPServer(localServer, None, data_size_limit=33554432,
                                map=None, enable_SMTPUTF8=False, decode_data=True,
                                config=iniData)
        print(server.socket.getsockname()[1], flush=True)
        print("run!")
        print(localServer[0])
        asyncore.loop()
    except Exception as e:
        print(e)
        pass

# Shape: a classroom Diffie-Hellman-over-SMTP demo: NaiveDH(smtpd.SMTPServer) whose
# process_message comes BEFORE __init__ in the class, takes four arguments (default
# decode_data: TypeError on every message under Python 3) and would unpickle a
# base64 payload, compute keys and answer through send_message() with smtplib;
# __init__(self, args) takes the argparse namespace, sets every protocol attribute,
# calls smtpd.SMTPServer.__init__ by name with ('localhost', args.port), prints a
# listening line, then a receive-mode greeting or (send mode) computes its public key and
# sends an INITREQ; argparse with -p/-k required and a mutually exclusive -s/-r group
# under __main__; try: asyncore.loop() except KeyboardInterrupt: naive_dh.close().
# (Run in receive mode with port 0 and a fixed key; the port line comes from the socket.)
import argparse
import asyncore
import base64
import pickle
import smtpd
import smtplib
import sys

from _record import record


class NaiveDH(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        obj = pickle.loads(base64.b64decode(data))
        if obj["type"] == "INITREQ":
            self.partner_addr = obj["payload"][0]
            self.partner_port = obj["payload"][1]
            self.DHKE_G = obj["payload"][2]
            self.DHKE_P = obj["payload"][3]
            A = obj["payload"][4]
            print("BOB: Received g=", self.DHKE_G, ", p=", self.DHKE_P, ", and public key", A)
            self.common_key = A ** self.private_key % self.DHKE_P
            print("BOB: our common key is", self.common_key)

    def __init__(self, args):
        self.DHKE_P = None
        self.DHKE_G = None
        self.private_key = args.key
        self.local_addr = "127.0.0.1"
        self.local_port = args.port
        self.partner_addr = None
        self.partner_port = None
        self.partner_pubkey = None
        self.common_key = None

        smtpd.SMTPServer.__init__(self, (self.local_addr, self.local_port), None)
        print(self.socket.getsockname()[1], flush=True)
        print("SMTP server for localhost listening on port", self.local_port)

        if args.r:  # RECEIVE MODE
            print("BOB: Hi! Waiting for messages...")

        if args.s:  # SEND MODE
            self.DHKE_P = 23
            self.DHKE_G = 17
            self.partner_addr = args.s.split(":")[0]
            self.partner_port = args.s.split(":")[1]
            print("ALICE: Hi! I will now send a message to Bob.")
            A = self.DHKE_G ** self.private_key % self.DHKE_P
            self.send_message("INITREQ", (self.local_addr, self.local_port, self.DHKE_G,
                                          self.DHKE_P, A))

    def send_message(self, type, payload):
        msg = base64.b64encode(pickle.dumps({"type": type, "payload": payload}))
        print("sendMessage: TYPE =", type, ", PAYLOAD =", payload)
        smtpObj = smtplib.SMTP(self.partner_addr, self.partner_port)
        smtpObj.sendmail("FROM", "TO", msg)
        smtpObj.quit()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    mode = parser.add_mutually_exclusive_group()
    parser.add_argument("-p", "--port", help="local port", type=int, required=True)
    parser.add_argument("-k", "--key", help="private key", type=int, required=True)
    mode.add_argument("-s", help="send message to address", action="store")
    mode.add_argument("-r", help="receive", action="store_true")
    parser.add_argument("message", nargs="?")
    args = parser.parse_args(sys.argv[1:] or ["-p", "0", "-k", "6", "-r"])
    naive_dh = NaiveDH(args)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        naive_dh.close()

# Shape: a mail-to-web-API bridge: CustomSMTPServer(smtpd.SMTPServer) with
# process_message(**kwargs) printing the PyMOTW envelope lines, then starting a Thread that
# posts sender, first recipient and data to a local web API (requests.post in the original,
# a file-writing stub here) and joining it at once, returning None; module-level server and
# a bare asyncore.loop(). (The peer is printed without its port.)
import asyncore
import json
import smtpd
from threading import Thread

from _record import record

url = "http://127.0.0.1:5000/mail/"


def send_request(mailfrom, rcpttos, data):
    with open("api_posts.txt", "a") as f:
        f.write(json.dumps({"url": url, "sender": mailfrom, "recipient": rcpttos[0],
                            "message": data.decode("utf-8", "replace")}) + "\n")


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("Receiving message from:", peer[0])
        print("Message addressed from:", mailfrom)
        print("Message addressed to  :", rcpttos)
        print("Message length        :", len(data))
        api_thread = Thread(target=send_request, args=(mailfrom, rcpttos, data,))
        api_thread.start()
        api_thread.join()
        return


server = CustomSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)

asyncore.loop()

# Shape: a "debugging e-mail server" web page: CustomSMTPServer(smtpd.SMTPServer) whose
# process_message takes decode_data=True as a parameter of its own (beside **kwargs, so
# smtpd's mail_options/rcpt_options land in kwargs and data stays bytes), prints the raw
# data, walks message_from_bytes(data) and keeps every non-multipart part's as_string()
# in a module-level list; a Flask page joins the list into HTML; run_smtp() builds the
# server and runs a bare asyncore.loop() on a Thread started under __main__, then the web
# app runs in the main thread. (The Flask app is a stand-in that serves until stdin closes
# and then prints the page once; the thread is a daemon here so that the program ends,
# and the main thread waits for the port line before its own output.)
import asyncore
import email
import smtpd
import sys
import threading

from _record import record

emailStorage = []


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, decode_data=True, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print(data)
        msg = email.message_from_bytes(data)
        parsed = ""
        for part in msg.walk():
            if "multipart" not in part.get_content_type():
                parsed += part.as_string()
        emailStorage.append(parsed)


class Flask:
    """Stands in for flask.Flask: one route, served until stdin closes."""

    def __init__(self, name):
        self.routes = {}
        self.debug = False

    def route(self, path):
        def register(view):
            self.routes[path] = view
            return view

        return register

    def run(self, host, port):
        sys.stdin.read()
        print(self.routes["/"]())


app = Flask(__name__)
app.debug = False


@app.route("/")
def hello():
    result = "<html><h1>Debugging Email server</h1>"
    for data in emailStorage:
        result += "<hr><br>" + data
    return result + "</html>"


def run_http():
    print("running")
    app.run(host="127.0.0.1", port=0)


def run_smtp():
    server = CustomSMTPServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    port_printed.set()
    asyncore.loop()


port_printed = threading.Event()

if __name__ == "__main__":
    smtpTh = threading.Thread(target=run_smtp, daemon=True)
    smtpTh.start()
    port_printed.wait(10)
    run_http()

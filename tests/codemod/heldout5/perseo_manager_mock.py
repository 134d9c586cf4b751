# Shape: a rules engine's acceptance-test mock: FakeSMTPServer(smtpd.SMTPServer) with
# __init__(*args, **kwargs) calling the base with the same *args (self inside), a
# 4-argument process_message (default decode_data) that counts into a module-level
# multiprocessing Manager dict (created only under __main__, after the server) and prints
# config-constant labels; an HTTP mock server beside it; asyncore.loop and serve_forever each
# run in a multiprocessing.Process (fork), the parent joins them, terminates both on
# KeyboardInterrupt, and closes both servers in finally.
import asyncore
import json
import smtpd
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from multiprocessing import Manager, Process

from _record import record


class mock_config:
    SMTP_BIND = "127.0.0.1"
    SMTP_PORT = 0
    HTTP_BIND = "127.0.0.1"
    HTTP_PORT = 0
    SMTP_COUNTER = "counter"
    SMTP_PEER = "peer"
    SMTP_MAILFROM = "mailfrom"
    SMTP_RCPTTOS = "rcpttos"
    SMTP_DATA = "data"
    INITIAL_EMAIL_MSG = "without email"
    ONE_LINE = "-----------------------------------------"
    SMTP_RECEIVING_MSG_FROM = "Receiving message from:"
    SMTP_MSG_ADDRESSED_TO = "Message addressed to  :"
    SMTP_MSG_LENGTH = "Message length        :"
    MORE_INFO = False
    ERROR = "ERROR - "
    MULTIPROCESSING_ERROR_MSG = "in multiprocessing"

    @staticmethod
    def configuration(argv):
        mock_config.MORE_INFO = "-i" in argv


class FakeSMTPServer(smtpd.SMTPServer):
    """A Fake smtp server"""

    def __init__(*args, **kwargs):
        smtpd.SMTPServer.__init__(*args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data):
        """receive a email"""
        record(peer, mailfrom, rcpttos, data)
        body_email[mock_config.SMTP_COUNTER] = body_email[mock_config.SMTP_COUNTER] + 1
        body_email[mock_config.SMTP_PEER] = peer
        body_email[mock_config.SMTP_MAILFROM] = mailfrom
        body_email[mock_config.SMTP_RCPTTOS] = rcpttos
        body_email[mock_config.SMTP_DATA] = data
        print(mock_config.ONE_LINE)
        print(mock_config.SMTP_RECEIVING_MSG_FROM, body_email[mock_config.SMTP_PEER][0])
        print(mock_config.SMTP_MSG_ADDRESSED_TO, body_email[mock_config.SMTP_RCPTTOS])
        print(mock_config.SMTP_MSG_LENGTH, len(body_email[mock_config.SMTP_DATA]))


class MyHandler(BaseHTTPRequestHandler):
    """A http server"""

    def do_GET(s):
        body_temp = json.dumps(dict(body_email))
        s.send_response(200)
        s.send_header("Content-Length", str(len(body_temp)))
        s.end_headers()
        s.wfile.write(body_temp.encode())


if __name__ == "__main__":
    mock_config.configuration(sys.argv)
    smtp_server = FakeSMTPServer((mock_config.SMTP_BIND, mock_config.SMTP_PORT), None)
    httpd = HTTPServer((mock_config.HTTP_BIND, mock_config.HTTP_PORT), MyHandler)
    print(smtp_server.socket.getsockname()[1], flush=True)
    print("Servers Starts", flush=True)
    try:
        manager = Manager()  # share between process
        body_email = manager.dict()
        body_email[mock_config.SMTP_COUNTER] = 0
        body_email[mock_config.SMTP_DATA] = mock_config.INITIAL_EMAIL_MSG

        p2 = Process(target=asyncore.loop)
        p1 = Process(target=httpd.serve_forever)
        p2.start()
        p1.start()
        p1.join()
        p2.join()
    except KeyboardInterrupt:
        p1.terminate()
        p2.terminate()
        print("email counter:", body_email[mock_config.SMTP_COUNTER])
    except:  # noqa: E722
        print(mock_config.ERROR + mock_config.MULTIPROCESSING_ERROR_MSG)
    finally:
        smtp_server.close()
        httpd.server_close()
        print("Servers Stop")

# Shape: an end-to-end test rig's mock SMTP server that logs each message to the console
# as JSON: MockSMTPServer(smtpd.SMTPServer) with __init__(*args, **kwargs) calling the
# base by name then setting a counter; a process_message with renamed parameters (host,
# email_from, email_to, data, **kwargs) that decodes the bytes only when
# sys.version_info >= (3, 6), parses them with Parser().parsestr, collects the payload
# (part dicts when multipart) and prints one JSON line with the counter; default
# decode_data; asyncore.loop() in try/except KeyboardInterrupt printing the count.
import asyncore
import json
import smtpd
import sys
from email.parser import Parser

from _record import record


class MockSMTPServer(smtpd.SMTPServer):
    """Mock SMTP server."""

    def __init__(self, *args, **kwargs):
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.counter = 0

    def process_message(self, host, email_from, email_to, data, **kwargs):
        """Parse SMTP message and log it to the console as JSON."""
        record(host, email_from, email_to, data, **kwargs)
        if sys.version_info[0:2] >= (3, 6):  # noqa: UP036
            parsed_message = Parser().parsestr(data.decode("utf8"))
        else:
            parsed_message = Parser().parsestr(data)

        if parsed_message.is_multipart():
            payload = []
            for message in parsed_message.get_payload():
                payload_dict = dict(message)
                payload_dict["body"] = message.get_payload()
                payload.append(payload_dict)
        else:
            payload = parsed_message.get_payload()

        self.counter += 1
        print(json.dumps({
            "id": self.counter,
            "from": email_from,
            "to": email_to,
            "subject": parsed_message["Subject"],
            "payload": payload,
        }, sort_keys=True))


if __name__ == "__main__":
    server = MockSMTPServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("logged %d messages" % server.counter)

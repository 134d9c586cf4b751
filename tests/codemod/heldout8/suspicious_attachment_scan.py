# Shape: a phishing-report analyser's SMTP intake: emailServer(smtpd.SMTPServer) (lower
# case class name) whose process_message carries type annotations
# (mailfrom: str, rcpttos: list[str], data: bytes | str, **kwargs: Any) -> str | None,
# parses data.decode("utf-8") with email.message_from_string, walks the parts, skips
# multipart containers and checks each attachment file name against "virus"/"spam"
# regexes (printing a WARNING and answering a 554 for a match), prints the subject and
# returns None otherwise; `from __future__ import annotations` at the top; main() builds
# the server and loops in try/except KeyboardInterrupt closing it.
from __future__ import annotations

import asyncore
import email
import re
import smtpd
from typing import Any

from _record import record


class emailServer(smtpd.SMTPServer):

    def process_message(self, peer, mailfrom: str, rcpttos: list[str], data: bytes | str,
                        **kwargs: Any) -> str | None:
        record(peer, mailfrom, rcpttos, data, **kwargs)
        content = email.message_from_string(data.decode("utf-8"))

        for msg in content.walk():
            if msg.get_content_maintype() == "multipart":
                continue

            name = msg.get_filename()
            if name:
                # check file name
                if re.search("virus", name, re.IGNORECASE) is not None \
                        or re.search("spam", name, re.IGNORECASE) is not None:
                    print("WARNING: This attachment looks dangerous:", name)
                    return "554 Attachment refused"

        print("Scanned:", content.get("Subject"), "for", ", ".join(rcpttos))
        return None


def main() -> None:
    server = emailServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        server.close()
        print("scanner stopped")


if __name__ == "__main__":
    main()

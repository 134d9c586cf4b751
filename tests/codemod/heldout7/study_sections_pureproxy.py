# Shape: a reader's study script for the standard-library book chapter "13.2 smtpd - Simple
# Mail Servers": logging.basicConfig at import, an argparse --section/-s option parsed at
# module level, CustomSMTPServer(smtpd.SMTPServer) with a class-level logger it never
# uses and a 4-argument process_message logging through the MODULE-level `logger`
# (rebound by each section), an empty chapter_sections list, and a module-level if-chain
# that runs section 1 (that subclass), 2 (smtpd.DebuggingServer) or 3
# (smtpd.PureProxy to an upstream), each with a bare asyncore.loop(), and prints help or
# warns otherwise. (Python 3 port: range for xrange; no time in the log format; run as
# section 3, whose PureProxy keeps smtpd's own 4-argument process_message and so raises
# TypeError on every message under the default decode_data; the upstream is a closed
# port on 127.0.0.1; 127.0.0.1 port 0.)
import argparse
import asyncore
import logging
import smtpd
import sys

from _record import record

# Set up logging
logging.basicConfig(level=logging.DEBUG,
                    format="[%(levelname)5s] (%(name)s) %(message)s",
                    )

# Argument Parsing
argparser = argparse.ArgumentParser(description="Chapter 13 - Email - smtpd", add_help=True)
argparser.add_argument("--section", "-s", action="store", type=int, dest="section",
                       help="Enter the section number to see the results from that section.  "
                            "i.e for XX.YY.1, enter 1, for XX.YY.10 enter 10.",
                       )
results = argparser.parse_args(sys.argv[1:] or ["-s", "3"])


## Classes
class CustomSMTPServer(smtpd.SMTPServer):
    logger = logging.getLogger("CustomSMTPServer")

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        logger.info("Receiving message from: %s", peer[0])
        logger.info("Message addressed from: %s", mailfrom)
        logger.info("Message addressed to  : %s", rcpttos)
        logger.info("Message length        : %s", len(data))
        logger.info("Message               :\n%s", data)


## Constants
chapter_sections = [{},
                    {},
                    {},
                    {},
                    ]

## Runtime Configuration
if results.section in range(0, len(chapter_sections)):
    logger = logging.getLogger("13.2 smtpd - Simple Mail Servers")

    if results.section == 1:
        logger = logging.getLogger("13.2.1 Mail Server Base Class")
        # The base class for all the provided example servers is SMTPServer.
        server = CustomSMTPServer(("127.0.0.1", 0), None)
        print(server.socket.getsockname()[1], flush=True)
        asyncore.loop()

    if results.section == 2:
        logger = logging.getLogger("13.2.2 Debugging Server")
        # DebuggingServer prints the entire incoming message to the console.
        server = smtpd.DebuggingServer(("127.0.0.1", 0), None)
        print(server.socket.getsockname()[1], flush=True)
        asyncore.loop()

    if results.section == 3:
        logger = logging.getLogger("13.2.3 Proxy Server")
        # PureProxy forwards incoming messages upstream.
        # WARNING: Running this has a good chance to make you into an open relay.
        server = smtpd.PureProxy(("127.0.0.1", 0), ("127.0.0.1", 1))
        print(server.socket.getsockname()[1], flush=True)
        asyncore.loop()

else:
    # If the command isn't recognized because it wasn't given, show the help.
    if not results.section:
        argparser.parse_args(["-h"])
    else:
        # If the command isn't recognized because it's wrong, show an error.
        logger = logging.getLogger("ERROR")
        logger.warning("Command not recognized: %s", results.section)

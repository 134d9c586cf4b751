# Shape: a phone-answering-machine-to-Telegram bot: `from smtpd import SMTPServer`, an
# EFABConfig class parsing getopt options and an INI file (printed with its __str__),
# an EFABBot wrapping the chat API, EFABMail parsing the message (it raises ParseError
# unless the mail is multipart with a voice attachment); EFABServer(SMTPServer) whose
# __init__(listen_address, listen_port, telegram_bot, quiet, debug) sets attributes
# before super(EFABServer, self).__init__(..., decode_data=True); a 4-argument
# process_message (safe with decode_data=True) in try/except Exception that prints
# traceback.print_tb() and "Something went wrong"; the main loop alternates
# bot.handleMessages() and asyncore.loop(timeout=1, count=1) forever, with a SIGTERM
# lambda and sys.exit(0) on KeyboardInterrupt. (The chat API is a local stand-in that
# polls nothing; the default port is 0.)
import asyncore
import email
import email.header
import getopt
import signal
import sys
import traceback
from smtpd import SMTPServer

from _record import record


class EFABConfig:
    def __init__(self):
        self.getopts_short = "hqda:p:B:r:"
        self.getopts_long = ["help", "quiet", "debug", "smtp-address=", "smtp-port=",
                             "telegram-bottoken=", "telegram-recipient="]
        self.quiet = False
        self.debug = False
        self.smtp_listen = "127.0.0.1"
        self.smtp_port = 0
        self.telegram_bottoken = None
        self.telegram_recipients = []

    def usage(self):
        print("efabbot.py [options] <configfile>")

    def parseGetopt(self, opts):
        recipients_found = False
        for o, a in opts:
            if o in ("-h", "--help"):
                self.usage()
                sys.exit()
            elif o in ("-q", "--quiet"):
                self.quiet = True
            elif o in ("-d", "--debug"):
                self.debug = True
            elif o in ("-a", "--smtp-address"):
                self.smtp_listen = a
            elif o in ("-p", "--smtp-port"):
                self.smtp_port = a
            elif o in ("-B", "--telegram-bottoken"):
                self.telegram_bottoken = a
            elif o in ("-r", "--telegram-recipient"):
                if not recipients_found:
                    self.telegram_recipients = []
                    recipients_found = True
                self.telegram_recipients.append(int(a))
            else:
                assert False, "unhandled option: %s" % o  # noqa: B011

    def __str__(self):
        return (
            "EFABConfig(quiet=%s, debug=%s, smtp_listen=%s, smtp_port=%s, "
            "telegram_bottoken=%s, telegram_recipients=%s)"
            % (self.quiet, self.debug, self.smtp_listen, self.smtp_port,
               self.telegram_bottoken, self.telegram_recipients)
        )


class EFABBot:
    """Stands in for the Telegram bot: sent messages are printed."""

    def __init__(self, token, recipients, quiet=False, debug=False):
        self.recipients = recipients or [1001]
        self.quiet = quiet
        self.debug = debug

    def send(self, mail):
        for r in self.recipients:
            if not self.quiet:
                print('Sending to %d with caption: "%s"' % (r, mail.subject))

    def handleMessages(self):
        return


class EFABMail:
    class ParseError(Exception):
        pass

    def __init__(self, mailstring):
        mail = email.message_from_string(mailstring)
        if not mail.is_multipart():
            raise EFABMail.ParseError("mail is not MIME-multipart structured")
        header_string, encoding = email.header.decode_header(mail["Subject"])[0]
        self.subject = header_string
        payloads = mail.get_payload()
        if len(payloads) != 2:
            raise EFABMail.ParseError("mail does not contain 2 mime parts")
        self.text = payloads[0].get_payload(decode=True).decode()
        self.wav = payloads[1].get_payload(decode=True)


class EFABServer(SMTPServer):
    def __init__(self, listen_address, listen_port, telegram_bot, quiet=False, debug=False):
        self.bot = telegram_bot
        self.quiet = quiet
        self.debug = debug
        super(EFABServer, self).__init__(  # noqa: UP008
            (listen_address, listen_port), None, decode_data=True)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        try:
            if not self.quiet:
                print("Message from %s: %s => %s %d Bytes"
                      % (peer[0], mailfrom, ", ".join(rcpttos), len(data)))
            if self.debug:
                mail = email.message_from_string(data)
                print("Subject: %s" % mail["Subject"])
            self.bot.send(EFABMail(data))
            if not self.quiet:
                print("Telegrams sent.")
        except Exception as e:
            traceback.print_tb(sys.exc_info()[2])
            print("Something went wrong: %s" % e)
        return


if "__main__" == __name__:
    config = EFABConfig()
    opts, args = getopt.gnu_getopt(sys.argv[1:], config.getopts_short, config.getopts_long)
    if len(args) > 1:
        config.usage()
        sys.exit(1)
    config.parseGetopt(opts)
    print(config)
    bot = EFABBot(config.telegram_bottoken, config.telegram_recipients,
                  quiet=config.quiet, debug=config.debug)
    smtp_server = EFABServer(config.smtp_listen, config.smtp_port, bot,
                             quiet=config.quiet, debug=config.debug)
    print(smtp_server.socket.getsockname()[1], flush=True)
    try:
        signal.signal(signal.SIGTERM, lambda s, f: (print("Exiting on TERM signal"), sys.exit(0)))
        while True:
            bot.handleMessages()
            asyncore.loop(timeout=1, count=1)
    except KeyboardInterrupt:
        print("Exiting on KeyboardInterrupt")
        sys.exit(0)

# Shape: a coloured console mail viewer: CustomSMTPServer(smtpd.SMTPServer) with
# process_message(**kwargs) that normalises mailfrom, every recipient and data with
# `x if isinstance(x, str) else x.decode('utf-8')`, then prints them with colour codes
# (colorama's Fore/Style, here a local stand-in) and writes the data to email.html ('w');
# module-level server, a start line, and
# try: asyncore.loop() except KeyboardInterrupt printing a reset-coloured goodbye.
import asyncore
import smtpd

from _record import record


class Fore:
    GREEN = "\x1b[32m"
    YELLOW = "\x1b[33m"
    CYAN = "\x1b[36m"
    RESET = "\x1b[39m"


class Style:
    RESET_ALL = "\x1b[0m"


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        mailfrom_str = mailfrom if isinstance(mailfrom, str) else mailfrom.decode("utf-8")
        rcpttos_str = [rcpt if isinstance(rcpt, str) else rcpt.decode("utf-8") for rcpt in rcpttos]
        data_str = data if isinstance(data, str) else data.decode("utf-8")

        print(Fore.GREEN + "Received message:")
        print(Fore.YELLOW + f"From: {mailfrom_str}")
        print(Fore.YELLOW + "To:")
        for recipient in rcpttos_str:
            print(Fore.YELLOW + f"  - {recipient}")
        print(Fore.CYAN + "Message data:")
        print(Fore.RESET + data_str)
        with open("email.html", "w") as f:
            f.write(data_str)


server = CustomSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
print(Fore.GREEN + "SMTP server is running..." + Style.RESET_ALL)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print(Style.RESET_ALL + "SMTP server stopped.")

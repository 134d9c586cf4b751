# Shape: a "mail server simulator" for a networking course: MailServerSimulator(
# smtpd.SMTPServer) whose __init__(bind_addr, port) calls the base by name with
# decode_data=True and prints a listening line; a 4-argument process_message (safe with
# decode_data=True) that checks platform.system() for Windows, builds a "mailboxes"
# folder path by string concatenation, prints the envelope, creates one folder per
# recipient's local part (an `except (OSError, e)` that would itself fail) and writes the
# str data to a text file named from the sender; loop(bind_addr, port) runs
# asyncore.loop(timeout=2) in try/except KeyboardInterrupt printing and closing; port
# and address from sys.argv. (File names end in a per-mailbox number instead of
# datetime.now(); the default port is 0.)
import asyncore
import os
import platform
import smtpd
import sys

from _record import record


class MailServerSimulator(smtpd.SMTPServer):
    """Descendant class of smtpd.SMTPServer with its own process_message()."""

    def __init__(self, bind_addr, port):
        smtpd.SMTPServer.__init__(self, (bind_addr, port), None, decode_data=True)
        print("Mail server simulator listening on {} port {}. To stop, press Ctrl+C".format(  # noqa: UP032
            bind_addr, port))

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        is_Windows = False
        # Determine operating sytem type
        os_type = platform.system()
        # Determine the current folder
        current_folder = os.getcwd()
        if os_type == "Windows":
            is_Windows = True

        # Set path of 'mailboxes' folder
        if is_Windows:
            base_path_of_mailboxes = current_folder + "\\mailboxes"
        else:
            base_path_of_mailboxes = current_folder + "/mailboxes"

        # Write from and to of a mail to the console
        print("Mail from: %s to: %s" % (mailfrom, repr(rcpttos)))

        # Work on all recipients
        for rcpt in rcpttos:
            rcpt = rcpt.split("@")[0]
            try:
                if is_Windows:
                    rcpt_mailbox = base_path_of_mailboxes + "\\" + rcpt
                else:
                    rcpt_mailbox = base_path_of_mailboxes + "/" + rcpt
                if not os.path.exists(rcpt_mailbox):
                    os.makedirs(rcpt_mailbox)
            except (OSError, e):  # noqa: F821
                print("Hiba: " + e.strerror)  # noqa: F821
                pass

            # Write mail to file
            number = len(os.listdir(rcpt_mailbox))
            mail_file = open(
                base_path_of_mailboxes + "/" + rcpt + "/" + mailfrom + "-%03d" % number, "w"
            )
            mail_file.write(data)
            mail_file.close()


def loop(bind_addr, port):
    """Use asynchronous socket service to run the simulator"""
    smtp_simulator = MailServerSimulator(bind_addr, port)
    print(smtp_simulator.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop(timeout=2)
    except KeyboardInterrupt:
        print("\nMail server simulator has interrupted")
        smtp_simulator.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        port = int(sys.argv[1])
        bind_addr = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
        loop(bind_addr, port)
    else:
        loop("127.0.0.1", 0)

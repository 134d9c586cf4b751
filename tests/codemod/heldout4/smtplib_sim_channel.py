# Shape: the stdlib smtplib tests' simulated server: SimSMTPChannel with class-level
# canned responses, __init__(extra_features, *args, **kw) building extra EHLO lines,
# smtp_EHLO re-implemented (capability lines, seen_greeting, extended_smtp), smtp_VRFY and
# smtp_EXPN answering from user and list tables, smtp_MAIL/smtp_RCPT answering a canned
# response or calling super(); SimSMTPServer (decode_data=True, remoteaddr ('nowhere', -1))
# building the channel in handle_accepted with its features and decode_data, keeping the
# envelope in process_message; a debugging_server(serv, serv_evt, client_evt) thread
# polling asyncore.loop(count=1) until the client event, then asyncore.close_all().
import asyncore
import smtpd
import smtplib
import sys
import threading

from _record import record

sim_users = {
    "alice@example.com": "Alice A",
    "bob@example.com": "Bob B",
}
sim_lists = {
    "staff": ["alice@example.com", "bob@example.com"],
    "ops": ["carol@example.com"],
}


class SimSMTPChannel(smtpd.SMTPChannel):
    quit_response = None
    mail_response = None
    rcpt_response = None
    data_response = None
    rcpt_count = 0
    rset_count = 0

    def __init__(self, extra_features, *args, **kw):
        self._extrafeatures = "".join(["250-{0}\r\n".format(x) for x in extra_features])  # noqa: UP030, UP032
        super(SimSMTPChannel, self).__init__(*args, **kw)  # noqa: UP008

    def smtp_EHLO(self, arg):
        resp = "250-testhost\r\n250-EXPN\r\n250-SIZE 20000000\r\n250-DELIVERBY\r\n"
        resp = resp + self._extrafeatures + "250 HELP"
        self.push(resp)
        self.seen_greeting = arg
        self.extended_smtp = True

    def smtp_VRFY(self, arg):
        if arg in sim_users:
            self.push("250 %s %s" % (sim_users[arg], smtplib.quoteaddr(arg)))
        else:
            self.push("550 No such user: %s" % arg)

    def smtp_EXPN(self, arg):
        list_name = arg.lower()
        if list_name in sim_lists:
            user_list = sim_lists[list_name]
            for n, user_email in enumerate(user_list):
                quoted_addr = smtplib.quoteaddr(user_email)
                if n < len(user_list) - 1:
                    self.push("250-%s %s" % (sim_users.get(user_email, "?"), quoted_addr))
                else:
                    self.push("250 %s %s" % (sim_users.get(user_email, "?"), quoted_addr))
        else:
            self.push("550 No access for you!")

    def smtp_MAIL(self, arg):
        if self.mail_response is None:
            super().smtp_MAIL(arg)
        else:
            self.push(self.mail_response)

    def smtp_RCPT(self, arg):
        if self.rcpt_response is None:
            super().smtp_RCPT(arg)
            return
        self.rcpt_count += 1
        self.push(self.rcpt_response[self.rcpt_count - 1])

    def smtp_RSET(self, arg):
        self.rset_count += 1
        super().smtp_RSET(arg)


class SimSMTPServer(smtpd.SMTPServer):
    channel_class = SimSMTPChannel

    def __init__(self, *args, **kw):
        self._extra_features = []
        self._addresses = {}
        smtpd.SMTPServer.__init__(self, *args, **kw)

    def handle_accepted(self, conn, addr):
        self._SMTPchannel = self.channel_class(
            self._extra_features, self, conn, addr, decode_data=self._decode_data
        )

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self._addresses["from"] = mailfrom
        self._addresses["tos"] = rcpttos

    def add_feature(self, feature):
        self._extra_features.append(feature)


def debugging_server(serv, serv_evt, client_evt):
    serv_evt.set()
    try:
        n = 10000
        while asyncore.socket_map and n > 0:
            if client_evt.is_set():
                serv.close()
                break
            asyncore.loop(0.01, count=1)
            n -= 1
    finally:
        if not client_evt.is_set():
            serv.close()
        asyncore.close_all()
        serv_evt.set()


if __name__ == "__main__":
    serv_evt = threading.Event()
    client_evt = threading.Event()
    serv = SimSMTPServer(("127.0.0.1", 0), ("nowhere", -1), decode_data=True)
    serv.add_feature("AUTH PLAIN")
    thread = threading.Thread(target=debugging_server, args=(serv, serv_evt, client_evt))
    thread.start()
    serv_evt.wait()
    serv_evt.clear()
    print(serv.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
    client_evt.set()
    serv_evt.wait()
    thread.join()
    print("last envelope:", serv._addresses)

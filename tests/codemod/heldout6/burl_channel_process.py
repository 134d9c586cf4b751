# Shape: a BURL submission proxy: ProxyChannel(smtpd.SMTPChannel) with
# __init__(server, conn, addr, *args, **kw) making a per-connection logger before calling
# super(); its own smtp_EHLO copied from smtpd plus "250-AUTH PLAIN"; smtp_AUTH decoding
# PLAIN and reading ten '|'-separated upstream settings out of the password; a
# process_message defined ON THE CHANNEL (it stores the message upstream, then relays and
# returns the upstream reply text as its own reply), and found_terminator copied from
# smtpd but calling self.process_message; BurlProxy(smtpd.SMTPServer) with channel_class,
# __init__(*args, **kw) forcing kw['enable_SMTPUTF8'] = True before super(); root logging
# to a console handler at import; main() with try/except KeyboardInterrupt/finally close.
# (IMAP and the submission server are local stand-ins writing burl_outbox.txt; the
# logger is named "host:port" here instead of str(addr).)
import asyncore
import base64
import logging
import smtpd
import urllib.parse

from _record import record

local_smtp = ("127.0.0.1", 0)


def setuplogging():
    logger = logging.getLogger()
    logger.setLevel(logging.INFO)
    consolehandler = logging.StreamHandler()
    consolehandler.setLevel(logging.DEBUG)
    consoleformatter = logging.Formatter("%(name)s\t%(levelname)s\t%(message)s")
    consolehandler.setFormatter(consoleformatter)
    logger.addHandler(consolehandler)


setuplogging()


def decode_base64(s):
    s += "=" * (3 - len(s) % 3)  # fix padding
    return base64.standard_b64decode(s)


def decode_auth_plain(s):
    b = decode_base64(s)
    authzid, username, password = b.split(b"\x00", 3)
    return username.decode(), password.decode()


def decode_proxy_settings(s):
    data = list(map(urllib.parse.unquote, s.split("|", 11)))
    return {
        "smtp_host": data[0], "smtp_port": int(data[1]), "smtp_tls": data[2],
        "smtp_password": data[3], "imap_host": data[4], "imap_port": int(data[5]),
        "imap_tls": data[6], "imap_mailbox": data[7], "imap_username": data[8],
        "imap_password": data[9],
    }


class Upstream:
    """Stands in for the IMAP and submission servers: one line per stored message."""

    uid = 0

    @classmethod
    def append(cls, mailbox, data):
        cls.uid += 1
        with open("burl_outbox.txt", "a") as f:
            f.write("%s uid=%d %d bytes\n" % (mailbox, cls.uid, len(data)))
        return str(cls.uid)


class ProxyChannel(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr, *args, **kw):
        self.logger = logging.getLogger("%s:%d" % addr)
        self.logger.info("channel opened")
        super().__init__(server, conn, addr, *args, **kw)
        self.proxy_settings = None

    def smtp_EHLO(self, arg):
        self.logger.info("EHLO from client: %s", arg)
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
            return
        self._set_rset_state()
        self.seen_greeting = arg
        self.extended_smtp = True
        self.push("250-%s" % self.fqdn)
        if self.data_size_limit:
            self.push("250-SIZE %s" % self.data_size_limit)
            self.command_size_limits["MAIL"] += 26
        if not self._decode_data:
            self.push("250-8BITMIME")
        if self.enable_SMTPUTF8:
            self.push("250-SMTPUTF8")
            self.command_size_limits["MAIL"] += 10
        self.push("250-AUTH PLAIN")
        self.push("250 HELP")

    def smtp_AUTH(self, arg):
        self.logger.info("AUTH")
        arg = arg[len(b"PLAIN "):]
        username, password = decode_auth_plain(arg)
        proxy_settings = decode_proxy_settings(password)
        proxy_settings["smtp_username"] = username
        self.proxy_settings = proxy_settings
        self.push("250 OK")

    def store_message(self, data):
        self.logger.info("storing message")
        s = self.proxy_settings
        msgid = Upstream.append(s["imap_mailbox"], data)
        self.logger.info("got msgid: %s", msgid)
        return msgid

    def send_message(self, mailfrom, rcpttos, urlauth):
        s = self.proxy_settings
        self.logger.info("mail from: %s via %s:%d", mailfrom, s["smtp_host"], s["smtp_port"])
        for rcpt in rcpttos:
            self.logger.info("rcpt to: %s", rcpt)
        return "{code} {data}".format(code=250, data="2.0.0 Ok: queued by BURL " + urlauth)

    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        record(peer, mailfrom, rcpttos, data, **kw)
        self.logger.info("processing message: %s %s %s", mailfrom, rcpttos, kw)
        msgid = self.store_message(data)
        urlauth = "imap://%s/%s;UID=%s" % (
            self.proxy_settings["imap_username"], self.proxy_settings["imap_mailbox"], msgid)
        result = self.send_message(mailfrom, rcpttos, urlauth)
        self.logger.info("DONE")
        return result

    # from python source: Lib/smtpd.py
    def found_terminator(self):
        line = self._emptystring.join(self.received_lines)
        self.received_lines = []
        if self.smtp_state == self.COMMAND:
            sz, self.num_bytes = self.num_bytes, 0
            if not line:
                self.push("500 Error: bad syntax")
                return
            if not self._decode_data:
                line = str(line, "utf-8")
            i = line.find(" ")
            if i < 0:
                command = line.upper()
                arg = None
            else:
                command = line[:i].upper()
                arg = line[i + 1:].strip()
            max_sz = (self.command_size_limits[command]
                      if self.extended_smtp else self.command_size_limit)
            if sz > max_sz:
                self.push("500 Error: line too long")
                return
            method = getattr(self, "smtp_" + command, None)
            if not method:
                self.push('500 Error: command "%s" not recognized' % command)
                return
            method(arg)
            return
        else:
            if self.smtp_state != self.DATA:
                self.push("451 Internal confusion")
                self.num_bytes = 0
                return
            if self.data_size_limit and self.num_bytes > self.data_size_limit:
                self.push("552 Error: Too much mail data")
                self.num_bytes = 0
                return
            data = []
            for text in line.split(self._linesep):
                if text and text[0] == self._dotsep:
                    data.append(text[1:])
                else:
                    data.append(text)
            self.received_data = self._newline.join(data)
            args = (self.peer, self.mailfrom, self.rcpttos, self.received_data)
            kwargs = {}
            if not self._decode_data:
                kwargs = {
                    "mail_options": self.mail_options,
                    "rcpt_options": self.rcpt_options,
                }
            # end
            status = self.process_message(*args, **kwargs)
            self._set_post_data_state()
            if not status:
                self.push("250 OK")
            else:
                self.push(status)


class BurlProxy(smtpd.SMTPServer):
    channel_class = ProxyChannel

    def __init__(self, *args, **kw):
        self.logger = logging.getLogger(self.__class__.__name__)
        kw["enable_SMTPUTF8"] = True
        super().__init__(*args, **kw)
        self.logger.info("ready")


def main(local_smtp):
    proxy = BurlProxy(local_smtp, ("", 0))
    print(proxy.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.close()


if __name__ == "__main__":
    main(local_smtp)

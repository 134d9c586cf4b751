# Shape: a mail-encrypting gateway's daemon mode (tab-indented in the original; functions in a
# home-made @_dbg tracing decorator): smtpd.__version__ set to the product name,
# gpgmailencryptserver(smtpd.SMTPServer) with a keyword __init__ (localaddr, TLS files,
# use_auth, authenticate_function, write_smtpdpasswordfile, data_size_limit) calling the
# base by name inside try/except socket.error -> exit(5), a handle_accept that accepts
# by hand and builds hksmtpchannel(self, conn, addr, use_auth=..., ...) and a 4-argument
# process_message(peer, mailfrom, receiver, data) wrapped in a bare except; the channel's
# __init__ calls smtpd.SMTPChannel.__init__ by name and then asynchat.async_chat.__init__
# AGAIN on the same socket, resets seen_greeting and data_size_limit = 0 (so no SIZE),
# re-implements HELO/EHLO (AUTH PLAIN advertised, the fqdn last), RSET (clears the login,
# then the base), AUTH PLAIN (binascii, 235 or 454), admin verbs STATISTICS/FLUSH/SETUSER/
# DELUSER, and a found_terminator gate that reads the mangled self._SMTPChannel__line,
# answers 530 before AUTH (or for admin verbs without an admin) and otherwise calls the
# base; daemonmode() installs SIGTERM/SIGHUP handlers, reads the password file and runs
# asyncore.loop() in try/except SystemExit / bare except logging "Bug". (The channel's base
# call gets decode_data=True here: the gateway was written when smtpd decoded by default,
# and under 3.6+ its str join of the mangled line list fails on every command. The
# password file is written next to the program on first start; the hourly SIGALRM job of
# the original is left out.)
import asynchat
import asyncore
import binascii
import hashlib
import os
import signal
import smtpd
import socket
import sys
import traceback

from _record import record

VERSION = "2.0"
_SMTPD_PASSWORDFILE = "gme_passwords.txt"
_ADMINS = ["admin"]
_smtpd_passwords = {}
_statistics = {"received": 0, "encrypted": 0}


def log(msg, infotype="m"):
    print("gpgmailencrypt:", msg, file=sys.stderr)


def log_traceback():
    log("".join(traceback.format_exception(*sys.exc_info())).splitlines()[-1], "e")


def debug(msg):
    pass


def _dbg(func):
    def _func(*args, **kwargs):
        debug("START %s" % func.__name__)
        result = func(*args, **kwargs)
        debug("END %s" % func.__name__)
        return result
    return _func


def _get_hash(txt):
    r = txt
    for _ in range(1001):
        r = hashlib.sha512(r.encode("UTF-8")).hexdigest()
    return r


def is_admin(user):
    return user in _ADMINS


@_dbg
def file_auth(user, password):
    return _smtpd_passwords.get(user) == _get_hash(password)


@_dbg
def _read_smtpdpasswordfile(pwfile):
    global _smtpd_passwords
    try:
        f = open(os.path.expanduser(pwfile))
    except Exception:
        log("hksmtpserver: Config file could not be read", "e")
        exit(5)
    txt = f.read()
    f.close()
    _smtpd_passwords = dict()
    for line in txt.splitlines():
        try:
            name, passwd = line.split("=", 1)
            _smtpd_passwords[name.strip()] = passwd.strip()
        except Exception:
            pass


@_dbg
def write_smtpdpasswordfile(pwfile):
    with open(os.path.expanduser(pwfile), "w") as f:
        for user in sorted(_smtpd_passwords):
            f.write("%s=%s\n" % (user, _smtpd_passwords[user]))


def encrypt_mails(mail, receiver):
    _statistics["encrypted"] += len(receiver)
    print("encrypting for", receiver)


class gpgmailencryptserver(smtpd.SMTPServer):
    @_dbg
    def __init__(self, localaddr, sslcertfile=None, sslkeyfile=None, use_smtps=False,
                use_auth=False, authenticate_function=None, write_smtpdpasswordfile=None,
                data_size_limit=smtpd.DATA_SIZE_DEFAULT):
        try:
            smtpd.SMTPServer.__init__(self, localaddr, None, data_size_limit=data_size_limit)
        except socket.error as e:  # noqa: UP024
            log("hksmtpserver: error", e)
            exit(5)
        self.sslcertfile = sslcertfile
        self.sslkeyfile = sslkeyfile
        self.use_smtps = use_smtps
        self.use_authentication = use_auth
        self.write_smtpdpasswordfile = write_smtpdpasswordfile
        self.authenticate_function = authenticate_function

    @_dbg
    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            self.socket.setblocking(0)
            hksmtpchannel(self, conn, addr,
                        use_auth=self.use_authentication,
                        authenticate_function=self.authenticate_function,
                        write_smtpdpasswordfile=self.write_smtpdpasswordfile)

    @_dbg
    def process_message(self, peer, mailfrom, receiver, data):
        record(peer, mailfrom, receiver, data)
        _statistics["received"] += 1
        try:
            encrypt_mails(data, receiver)
        except Exception:
            log("hksmtpserver: Bug:Exception!")
            log_traceback()
        return


class hksmtpchannel(smtpd.SMTPChannel):
    def __init__(self, smtp_server, newsocket, fromaddr, use_auth,
                authenticate_function=None, write_smtpdpasswordfile=None):
        smtpd.SMTPChannel.__init__(self, smtp_server, newsocket, fromaddr, decode_data=True)
        asynchat.async_chat.__init__(self, newsocket)
        self.authenticate_function = authenticate_function
        self.write_smtpdpasswordfile = write_smtpdpasswordfile
        self.is_authenticated = False
        self.is_admin = False
        self.use_authentication = use_auth
        self.user = ""
        self.seen_greeting = False
        self.data_size_limit = 0
        self.fqdn = socket.getfqdn()

    @_dbg
    def smtp_HELO(self, arg):
        if not arg:
            self.push("501 Syntax: HELO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
        else:
            self.seen_greeting = True
            self.push("250 %s" % self.fqdn)

    @_dbg
    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
            return
        else:
            self.seen_greeting = arg
            self.extended_smtp = True
        if self.data_size_limit:
            self.push("250-SIZE %s" % self.data_size_limit)
        if self.use_authentication:
            self.push("250-AUTH PLAIN")
        self.push("250 %s" % self.fqdn)

    @_dbg
    def smtp_RSET(self, arg):
        self.reset_values()
        smtpd.SMTPChannel.smtp_RSET(self, arg)

    @_dbg
    def reset_values(self):
        self.is_authenticated = False
        self.is_admin = False
        self.user = ""
        self.seen_greeting = False

    @_dbg
    def smtp_AUTH(self, arg):
        if not arg:
            self.push("501 Syntax error: AUTH PLAIN")
            return
        res = arg.split(" ")
        if len(res) < 2:
            self.push("454 Temporary authentication failure.")
            return
        command, encoded = res
        if "PLAIN" in command.upper():
            try:
                d = binascii.a2b_base64(encoded).decode("UTF-8").split("\x00")
            except Exception:
                d = []
            if len(d) < 2:
                self.push("454 Temporary authentication failure.")
                return
            while len(d) > 2:
                del d[0]
            user, password = d
            if self.authenticate_function and self.authenticate_function(user, password):
                self.push("235 Authentication successful.")
                self.is_authenticated = True
                self.is_admin = is_admin(user)
                self.user = user
            else:
                self.push("454 Temporary authentication failure.")
        else:
            self.push("454 Temporary authentication failure.")

    @_dbg
    def smtp_STATISTICS(self, arg):
        if arg:
            self.push("501 Syntax error: no arguments allowed")
            return
        names = sorted(_statistics)
        for c, s in enumerate(names):
            dash = " " if c == len(names) - 1 else "-"
            self.push("250%s%s %i" % (dash, s, _statistics[s]))

    @_dbg
    def smtp_FLUSH(self, arg):
        log("FLUSH")
        self.push("250 OK")

    @_dbg
    def smtp_SETUSER(self, arg):
        res = (arg or "").split(" ")
        if len(res) != 2:
            self.push("501 Syntax error: SETUSER user password")
            return
        _smtpd_passwords[res[0]] = _get_hash(res[1])
        if self.write_smtpdpasswordfile:
            self.write_smtpdpasswordfile(_SMTPD_PASSWORDFILE)
        self.push("250 OK")

    @_dbg
    def smtp_DELUSER(self, arg):
        if not arg:
            self.push("501 Syntax error: DELUSER user")
            return
        if self.user == arg:
            self.push("454 You can't delete yourself")
            return
        if _smtpd_passwords.pop(arg, None) is None:
            self.push("454 User could not be deleted")
            return
        self.push("250 OK")

    @_dbg
    def found_terminator(self):
        line = "".join(self._SMTPChannel__line)
        i = line.find(" ")
        if i < 0:
            command = line.upper()
        else:
            command = line[:i].upper()
        SIMPLECOMMANDS = ["EHLO", "HELO", "RSET", "NOOP", "QUIT", "STARTTLS"]
        ADMINCOMMANDS = ["STATISTICS", "FLUSH", "SETUSER", "DELUSER"]
        if self.use_authentication and not self.is_authenticated:
            if command not in SIMPLECOMMANDS + ["AUTH"]:
                self.push("530 Authentication required.")
                self._SMTPChannel__line = []
                return
        if not self.is_admin and command in ADMINCOMMANDS:
            self.push("530 Admin authentication required.")
            self._SMTPChannel__line = []
            return
        smtpd.SMTPChannel.found_terminator(self)


def _sigtermhandler(signum, frame):
    exit(0)


def _sighuphandler(signum, frame):
    log("Signal SIGHUP: reload configuration")


@_dbg
def daemonmode():
    "starts the smtpd daemon"
    signal.signal(signal.SIGTERM, _sigtermhandler)
    signal.signal(signal.SIGHUP, _sighuphandler)
    smtpd.__version__ = "gpgmailencrypt smtp server %s" % VERSION
    if not os.path.exists(_SMTPD_PASSWORDFILE):
        _smtpd_passwords.update({"user": _get_hash("secret"), "admin": _get_hash("root")})
        write_smtpdpasswordfile(_SMTPD_PASSWORDFILE)
    _read_smtpdpasswordfile(_SMTPD_PASSWORDFILE)
    try:
        server = gpgmailencryptserver(("127.0.0.1", 0), use_auth=True,
                                    authenticate_function=file_auth,
                                    write_smtpdpasswordfile=write_smtpdpasswordfile)
    except Exception:
        log("Couldn't start mail server")
        exit(1)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except SystemExit:
        exit(0)
    except BaseException:
        log("Bug:Exception occured!", "e")
        log_traceback()


if __name__ == "__main__":
    daemonmode()

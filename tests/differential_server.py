"""A legacy smtpd program, run twice by tests/test_differential.py: once on the real
``smtpd`` (Python 3.11) and once on ``smtpd_compat``.

Usage: ``python differential_server.py VARIANT {real,compat}``. It writes
``PORT <n> <smtpd.__file__>`` to stdout, serves with ``asyncore.loop()`` until killed, and appends
every ``process_message`` call to the file named by ``$DIFFERENTIAL_LOG``, one JSON
object a line (see :func:`record`). The code below is deliberately legacy code:
it must run unchanged on both engines.
"""

# ruff: noqa: UP031  (legacy code on purpose: it must read like a 3.11-era program)
import base64
import json
import os
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    if sys.argv[2] == "real":
        import smtpd
    else:
        import smtpd_compat as smtpd
    import asynchat
    import asyncore

LOG = open(os.environ["DIFFERENTIAL_LOG"], "a", encoding="utf-8")
# A body containing this marker makes process_message return a custom reply.
REJECT_MARKER = "X-Differential: reject"


def encode_data(data):
    if isinstance(data, bytes):
        return {"type": "bytes", "base64": base64.b64encode(data).decode("ascii")}
    return {"type": type(data).__name__, "text": data}


def record(peer, mailfrom, rcpttos, data, kwargs, **extra):
    entry = {
        "peer_host": peer[0],
        "mailfrom": mailfrom,
        "rcpttos": rcpttos,
        "data": encode_data(data),
        "kwargs": kwargs,
    }
    entry.update(extra)
    LOG.write(json.dumps(entry, sort_keys=True) + "\n")
    LOG.flush()


def custom_reply(data):
    marker = REJECT_MARKER if isinstance(data, str) else REJECT_MARKER.encode()
    if marker in data:
        return "554 5.7.1 Rejected by differential policy"
    return None


class Recorder(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, kwargs)
        return custom_reply(data)


class FourArgRecorder(smtpd.SMTPServer):
    """The tutorials' signature: no **kwargs."""

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data, None)


class RaisingRecorder(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, kwargs)
        raise RuntimeError("process_message failed")


# -- channel subclasses --------------------------------------------------------


class XFooChannel(smtpd.SMTPChannel):
    """A custom verb, found by the ``smtp_<VERB>`` lookup."""

    def smtp_XFOO(self, arg):
        if not arg:
            self.push("501 Syntax: XFOO <word>")
            return
        self.push(
            "250 XFOO %s (state %s, greeting %r)" % (arg, self.smtp_state, self.seen_greeting)
        )


AUTH_USERS = {"alice": "wonderland", "bob": "builder"}


class AuthChannel(smtpd.SMTPChannel):
    """AUTH PLAIN and LOGIN through a custom state, modelled on test_smtplib."""

    AUTH = 99
    authenticated_user = None

    def found_terminator(self):
        if self.smtp_state == self.AUTH:
            line = self._emptystring.join(self.received_lines)
            self.received_lines = []
            if isinstance(line, bytes):
                line = line.decode("ascii", "replace")
            if line == "*":
                self.smtp_state = self.COMMAND
                self.push("501 Authentication aborted")
                return
            self.auth_object(line)
            return
        super().found_terminator()

    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
            return
        self.seen_greeting = arg
        self.extended_smtp = True
        self.push("250-%s\r\n250-AUTH PLAIN LOGIN\r\n250 HELP" % self.fqdn)

    def smtp_AUTH(self, arg):
        if not self.seen_greeting:
            self.push("503 Error: send EHLO first")
            return
        if self.authenticated_user is not None:
            self.push("503 Bad sequence of commands: already authenticated")
            return
        args = (arg or "").split()
        if len(args) not in (1, 2):
            self.push("501 Syntax: AUTH <mechanism> [initial-response]")
            return
        self.auth_object = getattr(self, "_auth_%s" % args[0].lower(), None)
        if self.auth_object is None:
            self.push("504 Unrecognized authentication type")
            return
        self.smtp_state = self.AUTH
        self.auth_object(args[1] if len(args) == 2 else None)

    def smtp_MAIL(self, arg):
        if self.authenticated_user is None:
            self.push("530 5.7.0 Authentication required")
            return
        super().smtp_MAIL(arg)

    def _authenticated(self, user, password):
        self.smtp_state = self.COMMAND
        if AUTH_USERS.get(user) == password:
            self.authenticated_user = user
            self.push("235 Authentication Succeeded")
        else:
            self.push("535 Authentication credentials invalid")

    @staticmethod
    def _b64(text):
        return base64.b64decode(text.encode("ascii")).decode("utf-8")

    def _auth_plain(self, arg=None):
        if arg is None:
            self.push("334 ")
            return
        try:
            _, user, password = self._b64(arg).split("\0")
        except ValueError:
            self.smtp_state = self.COMMAND
            self.push("501 Malformed PLAIN response")
            return
        self._authenticated(user, password)

    def _auth_login(self, arg=None):
        if arg is None:
            self.push("334 VXNlcm5hbWU6")
        elif not hasattr(self, "_login_user"):
            self._login_user = self._b64(arg)
            self.push("334 UGFzc3dvcmQ6")
        else:
            user = self._login_user
            del self._login_user
            self._authenticated(user, self._b64(arg))


class PolicyChannel(smtpd.SMTPChannel):
    """A policy override: some senders are refused, the rest go to the stock code."""

    def smtp_MAIL(self, arg):
        if arg and "spam" in arg.lower():
            self.push("550 5.7.1 Sender refused by policy")
            return
        super().smtp_MAIL(arg)


class TaggedChannel(smtpd.SMTPChannel):
    """Built by a handle_accepted override with an extra leading argument."""

    def __init__(self, tag, server, conn, addr, *args, **kwargs):
        self.tag = tag
        super().__init__(server, conn, addr, *args, **kwargs)

    def smtp_XTAG(self, arg):
        self.push("250 tag=%s peer-is-tuple=%s" % (self.tag, isinstance(self.peer, tuple)))


class TaggingServer(Recorder):
    channel_class = TaggedChannel
    accepted = 0

    def handle_accepted(self, conn, addr):
        self.accepted += 1
        self.channel_class(
            "conn%d" % self.accepted,
            self,
            conn,
            addr,
            self.data_size_limit,
            decode_data=self._decode_data,
        )


class SwitchingChannel(smtpd.SMTPChannel):
    """``XSWITCH`` reassigns ``channel_class`` on the live server."""

    def smtp_XSWITCH(self, arg):
        self.smtp_server.channel_class = PolicyChannel if arg == "policy" else XFooChannel
        self.push("250 switched to %s" % self.smtp_server.channel_class.__name__)


class BannerChannel(smtpd.SMTPChannel):
    """``push`` overridden to rewrite the banner (and tag every 250 reply)."""

    def push(self, msg):
        if msg.startswith("220 "):
            msg = "220 mail.example.org ESMTP Differential ready"
        elif msg == "250 OK":
            msg = "250 2.0.0 OK (rewritten)"
        super().push(msg)


class DisguisedChannel(smtpd.SMTPChannel):
    """A honeypot's channel: talks through asynchat itself, as smtpd's own push does."""

    def push(self, msg):
        if msg.startswith("220 "):
            msg = "220 mx.example.net ESMTP Postfix (Debian/GNU)"
        asynchat.async_chat.push(self, bytes(msg + "\r\n", "utf-8"))

    def send(self, data):
        self.sent_bytes = getattr(self, "sent_bytes", 0) + len(data)
        return asynchat.async_chat.send(self, data)

    def smtp_XINFO(self, arg):
        asynchat.async_chat.set_terminator(self, b"\r\n")
        self.push(
            "250 chat=%s dispatcher=%s terminator=%r sent=%d readable-type=%s"
            % (
                isinstance(self, asynchat.async_chat),
                isinstance(self, asyncore.dispatcher),
                asynchat.async_chat.get_terminator(self),
                self.sent_bytes,
                type(self.readable()).__name__ in ("bool", "int"),
            )
        )

    def smtp_XBIG(self, arg):
        # More than one async_chat output chunk (ac_out_buffer_size) in one push.
        line = "250-" + "x" * 995
        self.push("\r\n".join([line] * 80) + "\r\n250 big")

    def smtp_XBYE(self, arg):
        asynchat.async_chat.push_with_producer(self, asynchat.simple_producer(b"221 2.0.0 Bye\r\n"))
        asynchat.async_chat.close_when_done(self)


def make_server(variant):
    addr = ("127.0.0.1", 0)
    simple = {
        "plain": (Recorder, {}),
        "decode": (Recorder, {"decode_data": True}),
        "utf8": (Recorder, {"enable_SMTPUTF8": True}),
        "small": (Recorder, {"data_size_limit": 64}),
        "nolimit": (Recorder, {"data_size_limit": 0}),
        "fourarg": (FourArgRecorder, {}),
        "fourarg_decode": (FourArgRecorder, {"decode_data": True}),
        "raising": (RaisingRecorder, {}),
        "tagged": (TaggingServer, {}),
    }
    channels = {
        "xfoo": XFooChannel,
        "auth": AuthChannel,
        "policy": PolicyChannel,
        "switch": SwitchingChannel,
        "banner": BannerChannel,
        "disguised": DisguisedChannel,
    }
    if variant in simple:
        cls, kwargs = simple[variant]
        return cls(addr, None, **kwargs)
    server = Recorder(addr, None)
    server.channel_class = channels[variant]
    return server


def main():
    server = make_server(sys.argv[1])
    sys.stdout.write("PORT %d %s\n" % (server.socket.getsockname()[1], smtpd.__file__))
    sys.stdout.flush()
    asyncore.loop()


if __name__ == "__main__":
    main()

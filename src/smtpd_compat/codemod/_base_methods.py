"""What a ``DebuggingServer`` or ``PureProxy`` subclass keeps of its base's methods.

A subclass that stamps a header and then calls ``smtpd.PureProxy.process_message(self,
...)``, logs and then calls ``super().process_message(...)`` to print as
``DebuggingServer`` did, or replaces only ``_deliver`` or ``__init__``, keeps behaviour of
its base that a handler would lose. Those
methods are plain Python (printing, relaying with smtplib), so the converted handler
inherits them from a class written into the module with the same code
(``DebuggingServerMethods``, ``PureProxyMethods``: rule debugging). This module reads
which base methods a class reaches and whether anything else of the legacy base is
used (another ``super()`` call), which blocks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import libcst as cst
import libcst.matchers

from smtpd_compat.codemod._build import block_body
from smtpd_compat.codemod._names import LegacyNames, dotted_name

# The legacy base -> the methods of its own a subclass may call, and the class that keeps them.
BASE_METHODS: Dict[str, Tuple[str, ...]] = {
    "smtpd.DebuggingServer": ("process_message", "_print_message_content"),
    "smtpd.PureProxy": ("process_message", "_deliver"),
}
METHODS_CLASS = {
    "smtpd.DebuggingServer": "DebuggingServerMethods",
    "smtpd.PureProxy": "PureProxyMethods",
}
DEBUGGING_SERVER_METHODS = f'''\
class {METHODS_CLASS["smtpd.DebuggingServer"]}:
    """smtpd.DebuggingServer's methods: print each message as it did."""

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        print("---------- MESSAGE FOLLOWS ----------")
        if kwargs.get("mail_options"):
            print("mail options: %s" % kwargs["mail_options"])
        if kwargs.get("rcpt_options"):
            print("rcpt options: %s\\n" % kwargs["rcpt_options"])
        self._print_message_content(peer, data)
        print("------------ END MESSAGE ------------")

    def _print_message_content(self, peer, data):
        # Bytes (decode_data=False) were printed as the repr of each line.
        decoded = isinstance(data, str)
        in_headers = True
        for line in data.splitlines():
            if in_headers and not line:
                peer_header = "X-Peer: " + peer[0]
                print(peer_header if decoded else repr(peer_header.encode("utf-8")))
                in_headers = False
            print(line if decoded else repr(line))
'''

PURE_PROXY_METHODS = f'''\
class {METHODS_CLASS["smtpd.PureProxy"]}:
    """smtpd.PureProxy's methods: relay each message to self._remoteaddr as it did."""

    def process_message(self, peer, mailfrom, rcpttos, data):
        lines = data.split("\\n")
        headers_end = 0
        for line in lines:
            if not line:
                break
            headers_end += 1
        lines.insert(headers_end, "X-Peer: %s" % peer[0])
        # smtpd ignored the refused recipients (it wrote them to its DEBUGSTREAM).
        self._deliver(mailfrom, rcpttos, "\\n".join(lines))

    def _deliver(self, mailfrom, rcpttos, data):
        refused = {{}}
        try:
            client = smtplib.SMTP()
            client.connect(self._remoteaddr[0], self._remoteaddr[1])
            try:
                refused = client.sendmail(mailfrom, rcpttos, data)
            finally:
                client.quit()
        except smtplib.SMTPRecipientsRefused as error:
            refused = error.recipients
        except (OSError, smtplib.SMTPException) as error:
            code = getattr(error, "smtp_code", -1)
            message = getattr(error, "smtp_error", "ignore")
            for rcpt in rcpttos:
                refused[rcpt] = (code, message)
        return refused
'''
METHODS_CODE = {
    "smtpd.DebuggingServer": DEBUGGING_SERVER_METHODS,
    "smtpd.PureProxy": PURE_PROXY_METHODS,
}
# Base methods other rules convert where they are called (rule init, _close).
CONVERTED_ELSEWHERE = ("__init__", "close")


@dataclass
class BaseUse:
    """How a subclass of ``base`` reaches its base's methods."""

    base: str
    # ``smtpd.PureProxy.process_message`` and the like: they name the generated class instead
    references: List[cst.Attribute] = field(default_factory=list)
    reaches: bool = False  # some base method is called (by any spelling)
    inherits: bool = False  # process_message itself is the base's
    blocker: Optional[Tuple[cst.CSTNode, str]] = None

    @property
    def methods_class(self) -> str:
        return METHODS_CLASS[self.base]


def base_use(node: cst.ClassDef, base: str, names: LegacyNames) -> BaseUse:
    """What ``node`` (a subclass of ``base``) uses of its base's methods."""
    use = BaseUse(base)
    own = {s.name.value for s in block_body(node.body) if isinstance(s, cst.FunctionDef)}
    use.inherits = use.reaches = "process_message" not in own  # with smtpd's code
    allowed = (*BASE_METHODS[base], *CONVERTED_ELSEWHERE)
    m = cst.matchers
    for found in m.findall(node, m.Attribute()):
        assert isinstance(found, cst.Attribute)
        method = found.attr.value
        owner = found.value
        if isinstance(owner, cst.Call) and dotted_name(owner.func) == "super":
            if not plain_super(owner, node):
                use.blocker = (
                    found,
                    "calls a super() that skips its base, which a handler has not",
                )
                return use
            if method not in allowed:
                use.blocker = (found, f"calls super().{method}, which a handler has not")
                return use
            use.reaches |= method in BASE_METHODS[base]
        elif names.legacy_name(owner) in BASE_METHODS:
            if names.legacy_name(owner) != base or method not in allowed:
                what = f"{names.legacy_name(owner)}.{method}"
                use.blocker = (found, f"uses {what}, which a handler has not")
                return use
            if method in BASE_METHODS[base]:
                use.references.append(found)
                use.reaches = True
        elif dotted_name(owner) == "self" and method in BASE_METHODS[base] and method not in own:
            use.reaches = True
    return use


def plain_super(call: cst.Call, node: cst.ClassDef) -> bool:
    """``super()`` or ``super(ThisClass, self)``: the legacy base's methods, not its base's."""
    if not call.args:
        return True
    first = call.args[0].value
    return len(call.args) == 2 and isinstance(first, cst.Name) and first.value == node.name.value


def process_message_of(node: cst.ClassDef, names: LegacyNames) -> Optional[cst.FunctionDef]:
    """The class's own process_message, or the one it inherits from DebuggingServer/PureProxy."""
    for statement in block_body(node.body):
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "process_message":
            return statement
    bases = [names.legacy_name(b.value) for b in node.bases]
    base = next((b for b in bases if b in METHODS_CODE), None)
    if base is None:
        return None
    methods = cst.parse_module(METHODS_CODE[base]).body[0]
    assert isinstance(methods, cst.ClassDef)
    return next(
        s
        for s in block_body(methods.body)
        if isinstance(s, cst.FunctionDef) and s.name.value == "process_message"
    )

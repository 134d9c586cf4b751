"""A private Postfix instance that relays everything to the shim.

Its own config, queue and data directories under a temporary directory, no
listener at all (mail enters with ``sendmail -C``), loopback only. The pitfalls
met on the way, each answered by a line below:

* Debian's build defaults to ``compatibility_level = 0``, where ``smtputf8_enable``
  is off and backwards-compatible defaults log warnings: set 3.6.
* Debian's master.cf runs most services chrooted into the queue directory, which
  then needs copies of /etc files and libraries: every service runs with chroot n.
* ``mail_owner`` (``postfix``) and ``setgid_group`` (``postdrop``) must exist: the
  Debian package creates both. ``postfix start`` fixes the queue's ownership, but
  not the ``data_directory``'s: chown it to ``postfix``, or master cannot create
  its lock file there.
* The daemons drop to ``postfix`` and then open some files by absolute path, so
  every directory above the instance must be searchable by that user: pytest's
  ``tmp_path`` is mode 0700 (owned by root) and fails with "Permission denied";
  the instance lives in its own ``mkdtemp`` directory, mode 0755.
* Without syslog in a container Postfix logs nowhere: ``maillog_file`` plus the
  ``postlog`` service in master.cf write a file we can read, and only below a
  directory in ``maillog_file_prefixes`` (``/var`` by default). The ``postfix``
  command prints its fatal errors only to a terminal: without one it exits 1
  silently, so a failed start shows up in the maillog or not at all.
* The SMTP client's SASL needs Cyrus SASL's PLAIN plugin (``libsasl2-modules``);
  without it Postfix logs "no mechanism available" and defers.
* ``sendmail`` stops reading at a line holding a single dot unless given ``-i``.
* ``postfix start-fg`` keeps the master in the foreground, so the test owns the
  process and can always stop it, even if ``postfix stop`` fails.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Sequence

from realsoft_support import TIMEOUT, ManagedProcess, require_root, run, tool, wait_until

#: Services a relay-only instance needs (name, type, private, unpriv, chroot, wakeup,
#: maxproc, command); no inet service, so nothing listens.
SERVICES = """\
pickup    unix  n  -  n  60     1  pickup
cleanup   unix  n  -  n  -      0  cleanup
qmgr      unix  n  -  n  300    1  qmgr
tlsmgr    unix  -  -  n  1000?  1  tlsmgr
rewrite   unix  -  -  n  -      -  trivial-rewrite
bounce    unix  -  -  n  -      0  bounce
defer     unix  -  -  n  -      0  bounce
trace     unix  -  -  n  -      0  bounce
verify    unix  -  -  n  -      1  verify
flush     unix  n  -  n  1000?  0  flush
proxymap  unix  -  -  n  -      -  proxymap
smtp      unix  -  -  n  -      -  smtp
relay     unix  -  -  n  -      -  smtp
showq     unix  n  -  n  -      -  showq
error     unix  -  -  n  -      -  error
retry     unix  -  -  n  -      -  error
discard   unix  -  -  n  -      -  discard
anvil     unix  -  -  n  -      1  anvil
scache    unix  -  -  n  -      1  scache
postlog   unix-dgram n  -  n  -  1  postlogd
"""


@contextlib.contextmanager
def instance_directory() -> Iterator[Path]:
    """A directory the ``postfix`` user can traverse (pytest's tmp_path is 0700)."""
    root = Path(tempfile.mkdtemp(prefix="smtpd-compat-postfix-"))
    try:
        root.chmod(0o755)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def relay_settings(
    root: Path, relay_port: int, ca_file: Path, login: str, password: str
) -> Dict[str, str]:
    """main.cf: relay all mail to the shim over STARTTLS with AUTH PLAIN."""
    return {
        "compatibility_level": "3.6",
        "queue_directory": str(root / "queue"),
        "data_directory": str(root / "data"),
        "mail_owner": "postfix",
        "setgid_group": "postdrop",
        "myhostname": "relay-client.test",
        "mydomain": "test",
        "myorigin": "$myhostname",
        "mydestination": "",
        "local_transport": "error:local delivery is disabled",
        "alias_maps": "",
        "alias_database": "",
        "inet_interfaces": "loopback-only",
        "inet_protocols": "ipv4",
        "maillog_file_prefixes": str(root),
        "maillog_file": str(root / "maillog"),
        "relayhost": "[127.0.0.1]:%d" % relay_port,
        "smtp_tls_security_level": "encrypt",
        "smtp_tls_CAfile": str(ca_file),
        "smtp_tls_loglevel": "1",
        "smtp_sasl_auth_enable": "yes",
        "smtp_sasl_password_maps": "static:%s:%s" % (login, password),
        "smtp_sasl_security_options": "noanonymous",
        "smtp_sasl_mechanism_filter": "plain",
    }


class PrivatePostfix:
    """Start, feed, inspect and stop one private Postfix instance."""

    def __init__(self, root: Path, settings: Dict[str, str]) -> None:
        require_root("a private Postfix instance")
        self.root = root
        self.config = root / "etc"
        self.config.mkdir(parents=True)
        for name in ("queue", "data"):
            (root / name).mkdir()
        shutil.chown(root / "data", user=settings["mail_owner"])
        main = "".join("%s = %s\n" % item for item in settings.items())
        (self.config / "main.cf").write_text(main)
        (self.config / "master.cf").write_text(SERVICES)
        self.log_file = Path(settings["maillog_file"])
        self.master = ManagedProcess(
            [tool("postfix"), "-c", str(self.config), "start-fg"], root / "master.out"
        )
        try:
            wait_until(self.is_running, "Postfix's master to start")
        except BaseException:
            self.stop()
            raise

    def postfix(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run([tool("postfix"), "-c", str(self.config), *args])

    def is_running(self) -> bool:
        if self.master.process.poll() is not None:
            raise AssertionError("Postfix exited:\n%s\n%s" % (self.master.output(), self.log()))
        return self.postfix("status").returncode == 0

    def sendmail(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        """Submit as a local program does; ``-i``: a lone dot is text, not the end."""
        argv = [tool("sendmail"), "-C", str(self.config), "-i", "-f", sender, *recipients]
        result = subprocess.run(argv, input=message, capture_output=True, timeout=TIMEOUT)
        assert result.returncode == 0, result.stderr

    def queue_ids(self) -> List[str]:
        """IDs of the messages in the queue (active, deferred, ...), from ``postqueue -p``."""
        listing = run([tool("postqueue"), "-c", str(self.config), "-p"])
        assert listing.returncode == 0, listing.stderr
        return re.findall(r"^([0-9A-F]{6,})[*!]?\s", listing.stdout, re.MULTILINE)

    def queue_listing(self) -> str:
        return run([tool("postqueue"), "-c", str(self.config), "-p"]).stdout

    def flush(self) -> None:
        """``postqueue -f``: retry deferred mail now."""
        result = run([tool("postqueue"), "-c", str(self.config), "-f"])
        assert result.returncode == 0, result.stderr

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def log_lines(self, pattern: str) -> List[str]:
        return [line for line in self.log().splitlines() if re.search(pattern, line)]

    def stop(self) -> None:
        """``postfix stop`` (master ends its children), then make sure master is gone."""
        try:
            if self.master.process.poll() is None:
                self.postfix("stop")
                self.master.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            pass  # master.stop() terminates it, then kills it
        finally:
            self.master.stop()

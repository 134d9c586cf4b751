"""The legacy command line: ``python -m smtpd_compat [options] [local [remote]]``.

Same options as ``python -m smtpd`` (binding before dropping to ``nobody``), plus
STARTTLS flags. Bad arguments print the usage and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

USAGE_EPILOG = """\
localhost:localport  where the server listens (default localhost:8025)
remotehost:remoteport  where PureProxy relays (default localhost:25)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m smtpd_compat",
        description="An RFC 5321 smtp proxy with optional STARTTLS (legacy smtpd options).",
        epilog=USAGE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("-n", "--nosetuid", dest="setuid", action="store_false", help="do not setuid to nobody")
    add("-V", "--version", action="store_true", help="print the version and exit")
    add("-c", "--class", dest="classname", default="PureProxy", help="server class [module.]Name")
    add("-s", "--size", type=int, default=None, help="maximum message size in bytes")
    add("-d", "--debug", action="store_true", help="debug output to stderr")
    add("-u", "--smtputf8", dest="enable_SMTPUTF8", action="store_true", help="enable SMTPUTF8")
    add("--tls-cert", help="certificate (PEM) for STARTTLS")
    add("--tls-key", help="private key (PEM) for STARTTLS, if not in the certificate file")
    add("--require-starttls", action="store_true", help="refuse mail before STARTTLS")
    add("--auth-file", help="AUTH PLAIN/LOGIN against 'user:bcrypt-hash' lines (htpasswd -B)")
    add("--auth-required", action="store_true", help="refuse mail before AUTH")
    add("--auth-allow-plaintext", action="store_true", help="offer AUTH without TLS")
    add("--proxy-protocol", action="store_true", help="expect a PROXY v1/v2 header")
    add("localspec", nargs="?", default="localhost:8025")
    add("remotespec", nargs="?", default="localhost:25")
    return parser


def host_port(parser: argparse.ArgumentParser, spec: str, what: str) -> Tuple[str, int]:
    host, sep, port = spec.rpartition(":")
    if not sep:
        parser.error("Bad %s spec: %s" % (what, spec))
    try:
        return host, int(port)
    except ValueError:
        parser.error("Bad %s port: %s" % (what, spec))
    raise AssertionError("unreachable")


def server_class(parser: argparse.ArgumentParser, classname: str) -> Any:
    """``-c Name`` names a class of smtpd_compat itself; ``-c pkg.mod.Name`` any class."""
    module_name, _, name = classname.rpartition(".")
    try:
        module = importlib.import_module(module_name or "smtpd_compat")
        return getattr(module, name)
    except (ImportError, AttributeError) as exc:
        parser.error("Cannot find class %s: %s" % (classname, exc))


def drop_privileges() -> None:
    try:
        import pwd
    except ImportError:
        sys.exit('Cannot import module "pwd"; try running with -n option.')
    nobody = pwd.getpwnam("nobody")[2]
    try:
        os.setuid(nobody)
    except PermissionError:
        sys.exit('Cannot setuid "nobody"; try running with -n option.')
    from smtpd_compat._channel import debug_print

    debug_print("Running as nobody (uid %d)" % nobody)


def main(argv: Optional[List[str]] = None) -> None:
    import smtpd_compat

    parser = build_parser()
    options = parser.parse_args(argv)
    if options.version:
        print(smtpd_compat.__version__)
        return
    if options.debug:
        smtpd_compat.DEBUGSTREAM = sys.stderr
    local = host_port(parser, options.localspec, "local")
    remote = host_port(parser, options.remotespec, "remote")
    cls = server_class(parser, options.classname)
    extra: Dict[str, Any] = {}
    if options.tls_cert:
        from smtpd_compat._bridge import tls_context_from_files

        extra["tls_context"] = tls_context_from_files(options.tls_cert, options.tls_key)
    flags = ("require_starttls", "auth_required", "proxy_protocol")
    extra.update({flag: True for flag in flags if getattr(options, flag)})
    if options.auth_file:
        extra["auth_file"] = options.auth_file
    if options.auth_allow_plaintext:
        extra["auth_require_tls"] = False
    server = cls(local, remote, options.size, enable_SMTPUTF8=options.enable_SMTPUTF8, **extra)
    if options.setuid:
        drop_privileges()
    try:
        smtpd_compat.loop()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()

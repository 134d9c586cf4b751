"""The legacy command line: ``python -m smtpd_compat [options] [local [remote]]``.

Same options as ``python -m smtpd`` (binding before dropping to ``nobody``), plus
STARTTLS, AUTH and PROXY flags. Bad arguments print the usage and exit 2; a start-up
failure (port in use, unresolvable host, unreadable certificate, a ``-c`` that is
not a server class) prints one line saying what is wrong and what to do, and exits
2; ``-d`` adds the traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import socket
import sys
import traceback
from typing import Any, Dict, List, Optional, Tuple

PROG = "python -m smtpd_compat"
DEFAULT_CLASS = "PureProxy"
DEFAULT_LOCAL = "localhost:8025"
DEFAULT_REMOTE = "localhost:25"

#: What each environment variable does; every server reads them (see _server).
ENVIRONMENT = (
    ("SMTPD_COMPAT_TLS_CERT", "certificate (PEM) for STARTTLS, as --tls-cert"),
    ("SMTPD_COMPAT_TLS_KEY", "its private key, as --tls-key"),
    ("SMTPD_COMPAT_REQUIRE_STARTTLS", "1: refuse mail before STARTTLS"),
    ("SMTPD_COMPAT_AUTH_FILE", "'user:bcrypt-hash' lines for AUTH, as --auth-file"),
    ("SMTPD_COMPAT_AUTH_REQUIRED", "1: refuse mail before AUTH"),
    ("SMTPD_COMPAT_AUTH_ALLOW_PLAINTEXT", "1: offer AUTH without TLS"),
    ("SMTPD_COMPAT_PROXY_PROTOCOL", "1: expect a PROXY v1/v2 header"),
    ("SMTPD_COMPAT_SIGTERM", "0: leave SIGTERM alone (default: exit gracefully)"),
)

USAGE_EPILOG = "environment (options given on the command line win):\n" + "".join(
    "  %-34s %s\n" % pair for pair in ENVIRONMENT
)

#: What to do when binding fails, by errno.
BIND_ADVICE = {
    errno.EADDRINUSE: "another program listens there: choose another port, or stop that program",
    errno.EACCES: "ports below 1024 need root: choose a port above 1023, or run as root",
    errno.EADDRNOTAVAIL: "no interface of this machine has that address: use one it has",
}


TLS_CERT_ENV = "SMTPD_COMPAT_TLS_CERT"
TLS_KEY_ENV = "SMTPD_COMPAT_TLS_KEY"
AUTH_FILE_ENV = "SMTPD_COMPAT_AUTH_FILE"


class StartupError(Exception):
    """A start-up failure the user can fix: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="An RFC 5321 smtp proxy with optional STARTTLS (legacy smtpd options).",
        epilog=USAGE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("-n", "--nosetuid", dest="setuid", action="store_false", help="do not setuid to nobody")
    add("-V", "--version", action="store_true", help="print the version and exit")
    add(
        "-c",
        "--class",
        dest="classname",
        default=DEFAULT_CLASS,
        help="server class: a Name of smtpd_compat, or package.module.Name "
        "(default %s)" % DEFAULT_CLASS,
    )
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
    add(
        "localspec",
        nargs="?",
        default=DEFAULT_LOCAL,
        metavar="localhost:localport",
        help="where the server listens (default %s)" % DEFAULT_LOCAL,
    )
    add(
        "remotespec",
        nargs="?",
        default=DEFAULT_REMOTE,
        metavar="remotehost:remoteport",
        help="where PureProxy relays (default %s)" % DEFAULT_REMOTE,
    )
    return parser


def host_port(parser: argparse.ArgumentParser, spec: str, what: str) -> Tuple[str, int]:
    host, sep, port = spec.rpartition(":")
    if not sep:
        parser.error("Bad %s spec: %s" % (what, spec))
    try:
        number = int(port)
    except ValueError:
        parser.error("Bad %s port: %s" % (what, spec))
    if not 0 <= number <= 65535:
        raise StartupError("%s port %d is out of range: use 0 to 65535" % (what, number))
    return host, number


def server_class(classname: str) -> Any:
    """``-c Name`` names a class of smtpd_compat itself; ``-c pkg.mod.Name`` any class."""
    module_name, _, name = classname.rpartition(".")
    module_name = module_name or "smtpd_compat"
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise StartupError(
            "-c %s: cannot import %s (%s: %s): check the name and PYTHONPATH"
            % (classname, module_name, type(exc).__name__, exc)
        ) from exc
    cls = getattr(module, name, None)
    if not (isinstance(cls, type) and callable(getattr(cls, "process_message", None))):
        found = "nothing" if cls is None else "a %s" % type(cls).__name__
        if isinstance(cls, type):
            found = "a class without process_message"
        raise StartupError(
            "-c %s: %s is %s, not a server class: name an SMTPServer subclass, "
            "e.g. -c DebuggingServer or -c mymodule.MySink" % (classname, name, found)
        )
    return cls


def tls_context(cert: str, key: Optional[str]) -> Any:
    """The STARTTLS context of --tls-cert/--tls-key, or a StartupError saying why not."""
    from smtpd_compat._bridge import tls_context_from_files

    try:
        return tls_context_from_files(cert, key)
    except OSError as exc:
        raise StartupError("%s: check the path and its permissions" % exc.strerror) from exc
    except ValueError as exc:
        if key is None and not holds_private_key(cert):
            raise StartupError(
                "--tls-cert %s holds no private key: add --tls-key KEYFILE, "
                "or give one PEM file with both" % cert
            ) from exc
        raise


def holds_private_key(path: str) -> bool:
    with open(path, "rb") as pem:
        return b"PRIVATE KEY-----" in pem.read()


def describe_startup_error(exc: BaseException, local: Tuple[str, int]) -> str:
    """One line: what went wrong at start-up and, where we know it, what to do."""
    if isinstance(exc, StartupError):
        return str(exc)
    where = "%s:%d" % local
    if isinstance(exc, socket.gaierror):
        return "cannot resolve %r (%s): use an IP address, or a name this machine resolves" % (
            local[0],
            exc.strerror or exc,
        )
    if isinstance(exc, OSError) and exc.filename:
        return "cannot read %s: %s: check the path and its permissions" % (
            exc.filename,
            exc.strerror,
        )
    if isinstance(exc, OSError) and exc.errno in BIND_ADVICE:
        return "cannot listen on %s: %s: %s" % (where, exc.strerror, BIND_ADVICE[exc.errno])
    return "cannot start on %s: %s" % (where, exc)


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


def server_options(options: argparse.Namespace) -> Dict[str, Any]:
    """The keyword arguments the STARTTLS/AUTH/PROXY flags ask for."""
    extra: Dict[str, Any] = {}
    # Files named in the environment are loaded here too, so that their errors are
    # told apart from the binding errors the server's constructor raises.
    cert, key = options.tls_cert, options.tls_key
    if not cert:
        cert, key = os.environ.get(TLS_CERT_ENV), os.environ.get(TLS_KEY_ENV) or None
    if cert:
        extra["tls_context"] = tls_context(cert, key)
    elif options.require_starttls:
        raise StartupError("--require-starttls needs a certificate: add --tls-cert CERTFILE")
    if options.auth_required and not (options.auth_file or os.environ.get(AUTH_FILE_ENV)):
        raise StartupError("--auth-required needs users: add --auth-file FILE")
    flags = ("require_starttls", "auth_required", "proxy_protocol")
    extra.update({flag: True for flag in flags if getattr(options, flag)})
    if options.auth_file:
        extra["auth_file"] = options.auth_file
    if options.auth_allow_plaintext:
        extra["auth_require_tls"] = False
    return extra


def start_server(parser: argparse.ArgumentParser, options: argparse.Namespace) -> Any:
    """Build and bind the server, or exit 2 with one line (and the traceback with -d)."""
    local = ("", 0)
    try:
        local = host_port(parser, options.localspec, "local")
        remote = host_port(parser, options.remotespec, "remote")
        cls = server_class(options.classname)
        extra = server_options(options)
        return cls(local, remote, options.size, enable_SMTPUTF8=options.enable_SMTPUTF8, **extra)
    except (StartupError, OSError, ValueError, RuntimeError) as exc:
        if options.debug:
            traceback.print_exc()
        print("%s: error: %s" % (PROG, describe_startup_error(exc, local)), file=sys.stderr)
        sys.exit(2)


def main(argv: Optional[List[str]] = None) -> None:
    import smtpd_compat

    parser = build_parser()
    options = parser.parse_args(argv)
    if options.version:
        print(smtpd_compat.__version__)
        return
    if options.debug:
        smtpd_compat.DEBUGSTREAM = sys.stderr
    server = start_server(parser, options)
    if options.setuid:
        drop_privileges()
    try:
        smtpd_compat.loop()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()

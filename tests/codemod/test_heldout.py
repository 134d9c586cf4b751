"""Held-out evaluation: the codemod on programs its author never saw nor tuned it on.

Each program in ``heldout/`` was written by someone other than the codemod's author, in
the shape of a real public program that used smtpd (each file's first comment names the
shape). For every program: run it under Python 3.11's smtpd, convert a copy with the
codemod, run the copy on 3.12 and 3.13 with aiosmtpd alone (the round trip's venvs),
drive both with the same dialogues and compare process_message arguments, replies,
stdout, the log on stderr, the files written and the exit status. Each program gets a
class:

  a  converted, and identical in what the program sees and chooses
  b  converted, every difference listed in that file's report (``note:`` lines)
  c  left unchanged or partly converted, with blockers reported
  d  a SILENT change (a difference the report does not list) or a crash

The greeting's host and version text is aiosmtpd's after conversion (every note says
so) and is compared only where the program set ``smtpd.__version__``. The test fails
on class d; programs known to be d are strict xfails naming the change, so the table
stays honest. The table is printed at the end of the run, one per set.

Three sets: ``heldout/`` (since used to improve the codemod), ``heldout2/``, written
later by someone else and kept from the codemod's authors (since used to tune it too),
and ``heldout3/``, a fresh sample of 30 public programs' shapes weighted as USAGE.md
counts real usage, written independently of the codemod, so that the final measure is
on programs its authors have not seen. Each set has its own shapes, stop method and
extra dialogues (``SETS``).

``heldout4/`` is the fourth, unseen set: 30 more programs in the shapes of public
programs not modelled by the first three sets, weighted as USAGE.md counts real usage and
written without reading the codemod, its rule tests or any converted output. Its first
run (2026-11-30, the codemod of that morning and again with that day's shape work, which
never saw it): a 9, b 4, c 12, d 5. The five silent changes (process_message off the loop's
thread, a guarded smtpd import left in place, asyncio's selector line in a DEBUG log twice,
bytes pushed by a channel) were fixed after that, so the set is no longer unseen.

``heldout5/`` is the fifth set: 30 programs in the shapes of further public programs (none
the model of a program in the first four sets), weighted as USAGE.md counts real usage (most
are SMTPServer subclasses; a quarter customise SMTPChannel; a few DebuggingServer and one
PureProxy; seven have the 4-argument process_message that raised TypeError under 3.11's
default decode_data). It was written by someone who had not read the codemod, its rule tests,
its round-trip programs or any converted output, and who never ran the codemod on it: only
the legacy side was run, to check that each program starts, answers and stops reliably.
Its first run (2026-11-30 23:15, main at 04e247f, which no one had tuned on it): a 11, b 2,
c 14, d 3. One d was a silent change in converted code (a copied EHLO reading
``self._SMTPChannel__greeting`` answered 500), since fixed; two were this harness comparing
what the 451 note already covers (a dialogue's second message after the 451, which smtpd's
drop never let through) and a traceback's line numbers in the program's own log, since
fixed in the harness (``converse``, ``RUN_DETAILS``). The set is seen from then on.

``heldout6/`` is the sixth set: 30 programs in the shapes of further public programs (none
the model of a program in the first five sets), weighted as USAGE.md counts real usage:
18 SMTPServer subclasses handling process_message themselves, 7 customising SMTPChannel
(AUTH channels, copied found_terminator, a channel-level process_message, name-mangled
privates), 4 DebuggingServer (2 instances, 2 subclasses) and 1 PureProxy; seven have the
4-argument process_message that raised TypeError under 3.11's default decode_data, three
more raise inside process_message. Start-ups: bare loops, try/except around the loop,
signal handlers, loop threads and an executor, count=1 polling (one beside a bot), a
multiprocessing.Process with a positional count inside a context manager. It was written by
someone who had not read the codemod, its rule tests, its round-trip programs or any
converted output, and who never ran the codemod on it: only the legacy side was run (each
program three times, side by side, with the same result) to check that each program
starts, answers and stops reliably. Its first run (2026-11-30 23:55, main at 81b1933, with
that evening's work from heldout5 and before the day's two shape branches were merged; no
one had tuned on it): a 11, b 2, c 17, d 0.

``heldout7/`` is the seventh set: 30 programs in the shapes of further public programs (none
the model of a program in the first six sets), weighted as USAGE.md counts real usage: 17
SMTPServer subclasses handling process_message themselves (test fixtures, sinks writing
files or sqlite, a Postfix filter reinjecting with smtplib, inbound-mail services), 7
customising SMTPChannel (an LHLO channel, a hand-built channel set in __init__, AUTH
channels, a found_terminator calling a 4-argument process_message itself, smtpd's mangled
``__rcpttos`` read from a channel named SMTPChannel, add_channel swapping the map), 4
DebuggingServer (3 subclasses, one run through smtpd's own command line; 1 instance) and 2
PureProxy (a subclass and an instance); nine have the 4-argument process_message that raised
TypeError under 3.11's default decode_data, two more raise inside process_message.
Start-ups: bare loops, try/except around the loop, smtpd's ``__main__`` through runpy, loop
threads (``map=server._map``, ``use_poll``, ``smtpd.asyncore``), Thread subclasses polling
with count=1, an os.fork() child, a multiprocessing consumer with a SIGINT handler calling
close_all(), setUpClass/tearDownClass, a generator fixture and nested context managers
sharing one cached server. It was written by someone who had not read the codemod, its rule
tests, its round-trip programs or any converted output, and who never ran the codemod on it:
only the legacy side was run (each program at least twice, with the same result) to check
that each program starts, answers and stops reliably. Its first run (2026-12-01 02:56, main at
f31c738 with the set merged; no one had tuned on it), the harness's own table line: a 8, b 4,
c 14, d 4. The four d: two converted programs crashed (a loop thread made before its server
in the same __init__; a server made in a method of another object given as ``target=``, read
through that object before it had its socket) and two kept a read of ``asyncore.socket_map``
that no report named (a note at the line beside it hid it). All four were fixed that morning
(7079d96), so the set is seen from then on.

``heldout8/`` is the eighth set: 30 programs in the shapes of further public programs (none
the model of a program in the first seven sets), weighted as USAGE.md counts real usage: 16
SMTPServer subclasses handling process_message themselves (test fixtures and helpers, sinks
writing files, pickle or sqlite, a config-file daemon, a relay forwarder, inbound-mail
services), 8 customising SMTPChannel (a private _getaddr override, a copied push and
found_terminator, AUTH channels with a 530 gate and an extra keyword to process_message, a
re-initialised channel with admin verbs, channels named SMTPChannel reading smtpd's
mangled names, a trivial channel behind a Py2-style handle_accept), 4 DebuggingServer (all
instances: in a thread target, unkept in a function, at module level, through smtpd's own
command line) and 2 PureProxy subclasses (a _deliver override with an extra argument, one
handing _deliver to a task queue); twelve have the 4-argument process_message that raised
TypeError under 3.11's default decode_data, and three channels fail under Python 3 in their
own code before any message arrives (a mangled __getaddr that no longer exists, a str split
or join of bytes).
Start-ups: bare loops, try/except around the loop, loop(timeout=2), loop(1, True),
use_poll threads, a loop thread started before its server exists and retried in a while
loop, a fixture that loops before its yield, a project's own active() loop over
asyncore.poll, setUpClass as plain functions, generator fixtures and addfinalizer, a
self-starting (SMTPServer, Thread), daemon threads monitored with join(timeout), smtpd's
__main__ through runpy, a getopt main with an unkept server and a SIGTERM/SIGHUP daemon.
It was written by someone who had not read the codemod, its rule tests, its round-trip
programs or any converted output, and who never ran the codemod on it: only the legacy side
was run (each program at least twice, with the same result) to check that each program
starts, answers and stops reliably. Its first run (2026-12-01 05:48, main at 89f2437; no one
had tuned on it): a 7, b 6, c 16, d 1 (smtpd's command line run through runpy: no import
names the module, so the codemod saw nothing and the program failed on 3.12+; now reported).

``heldout9/`` is the ninth set: 30 programs in the shapes of further public programs (none
the model of a program in the first eight sets), weighted as USAGE.md counts real usage: 17
SMTPServer subclasses handling process_message themselves (sinks writing text files, spool
and feed files, a rotating log file, a lock-file daemon and a stand-in S3 bucket; a
greylisting 451 return, a handler passed to __init__ whose result is returned, an
auto-responder and a filter relaying with smtplib, one to a second server on a private map,
a ThreadPoolExecutor hand-off, a list expander, a parsestr() of bytes that raises), 7
customising SMTPChannel (RSET truncating an mbox with a silenced send() and a
handle_accepted building the channel, a collect_incoming_data byte cap, own HELP and an
EXPN verb, MAIL/RCPT wrappers with a handle_close summary, a smtp_DATA recipient cap, a
push() counting 5xx replies that hangs up, AUTH LOGIN collected by found_terminator in a
seven-argument channel), 4 DebuggingServer (an ``async def`` process_message whose
coroutine smtpd cannot push, a one-line shell alias, a stand-in Windows service with loop
and status threads, an override of the private _print_message_content) and 2 PureProxy
subclasses (a super(PureProxy) call reaching NotImplementedError, an __init__ with extra
leading arguments handing accepted mail to PureProxy's own delivery); ten have the
4-argument process_message that raised TypeError under 3.11's default decode_data, and
three fail in their own code on a message (a Header object from a non-ASCII subject
concatenated or bound to sqlite, Parser().parsestr of bytes). Start-ups: bare loops,
try/except KeyboardInterrupt around the loop, loop(timeout=...), a SIGTERM handler, a
SIGINT flag with count=1 polling, a stand-in Tk after() poll, select() on stdin between
count=1 loops, atexit, nose setup_module/teardown_module, unittest addCleanup, a daemon
thread joined with a timeout, a loop inside a DaemonContext-like with block, a thread on a
private map beside the main loop. It was written by someone who had not read the codemod,
its rule tests, its round-trip programs or any converted output, and who never ran the
codemod on it: only the legacy side was run (each program at least twice, with the same
result) to check that each program starts, answers and stops reliably. Its first run
(2026-12-01 09:41, main at 38cc9d8; no one had tuned on it): a 10, b 9, c 10, d 1. The d: a
4-argument process_message returning "550 No such list" for some recipients, where the note
said converted code "answers 250"; the note now says it answers what process_message returns.

``heldout10/`` is the tenth set: 30 programs in the shapes of further public programs (none
the model of a program in the first nine sets), weighted as USAGE.md counts real usage: 19
SMTPServer subclasses handling process_message themselves (a wrapper class named SMTPServer
rebinding the imported name, a server built inside a unittest thread target with its queue
set after construction, an ops robot raising KeyError for unknown robots, renamed **kwargs
parameters with a version-gated decode, a Qt sink with a class ``__version__`` and a switch
for smtpd.DEBUGSTREAM, mbox writers, a Django-style ping listener with
``super(Cls, self).__init__(..., decode_data=False)``, a five-argument __init__ keeping a
deque, a process_message written without self, CRLF header regexes that never match LF
data, a ``messages`` property taking the lock process_message holds, every keyword spelt out
plus config=, an unkept sink whose port is read from asyncore.socket_map), 5 customising
SMTPChannel (a channel named SMTPChannel setting the mangled ``__fqdn`` and swapping the 220
greeting in push() with a worker polling asyncore.poll, smtp_QUIT raising ExitNow with the
loop run again, a PureProxy whose hand-built channel adds a TEST verb answering without a
reply code, a server handle_error override and a plain SMTPChannel built by hand after a
socket wrap, a copied found_terminator with a 530 gate before AUTH), 4 DebuggingServer (two
instances behind a guarded smtpd_tls import, a subclass named DebuggingServer on a daemon
thread, a subclass in a multiprocessing.Process sending through a Pipe, a set_socket()
subclass built unkept in a thread target) and 2 PureProxy subclasses (an alias rewriter
calling _deliver after config and pid files written at import, a whitelist relay with a
selfless method called through the class); seven have a process_message that raised
TypeError under 3.11's default decode_data (one of them lacking self), and four fail in
their own code on a message (bytes written to a text-mode file, a KeyError for an unknown
robot, two mailbox writes of the non-ASCII message).
Start-ups: bare loops, try/except KeyboardInterrupt around the loop, a loop re-entered after
ExitNow, loop(timeout=...), use_poll threads, daemon loop threads beside a main-thread
poller, a sleep loop or an HTTP server, asyncore.poll() in a Thread subclass, a
multiprocessing.Process subclass terminated at ^C, a Process interrupted through its pid,
generator fixtures, unittest setUp/tearDown by hand, optparse and argparse mains, a
management-command class. It was written by someone who had not read the codemod, its rule
tests, its round-trip programs or any converted output, and who never ran the codemod on
it: only the legacy side was run (each program at least twice, with the same result) to
check that each program starts, answers and stops reliably. Its first run
(2026-12-01 22:30, main at 47d2b32; no one had tuned on it): a 9, b 7, c 12, d 2. The two d:
a 4-argument process_message that smtpd never ran (TypeError) deadlocks on its own Lock
once converted code runs it (a strict xfail naming that, SILENT10), and a DebuggingServer in
a multiprocessing child whose run hung once in three on 3.13. That hang was the harness's:
the child's line and the parent's port line interleaved on the shared stdout, the harness
saw no port, killed the parent alone and waited for good on the pipes the child still held.
The program now prints before it signals the parent, and the harness runs each program in
a process group of its own and kills the group (2026-12-02).

``heldout11/`` is the eleventh set: 27 programs in the shapes of further public programs
(none the model of a program in the first ten sets), weighted as USAGE.md counts real
usage: 18 SMTPServer subclasses (an alert responder mapping log levels from strings, a
receipt printer whose Thread owns the server and polls it with count=1, a noddy fork taking
``*args``, a groupware listener named SMTPServer fed by a manager, a cron wrapper's test
thread building the server in run() behind a ready flag, a honeypot with one unkept server
per port, hooks set on an instance a classmethod made, an ``(SMTPServer, Thread)`` test
library behind an RLock and a context manager, a class defined inside the function that
serves it on a daemon thread, an mbox writer with a BytesParser factory, a mock library's
``(SMTPServer, Pretender)``, a project router with a settings lock, catchers writing .eml
files and a common log, a sink decoding first, an SES relay, an SMS gateway, a JSON sink
forwarding ``**kwargs`` to the base, a Telegram relay), 2 customising SMTPChannel (an LMTP
service answering LHLO through a hand-built channel, a reply bot whose channel silences
send()), 5 DebuggingServer (an empty subclass sending to itself, an unkept one behind
guarded imports, one kept and closed at ^C, a subclass named DebuggingServer reading a
global, six positional arguments with _print_message_content overridden) and 2 PureProxy
subclasses (mangled privates set after construction before _deliver, an SMTP_SSL call
with self as the host); thirteen have a process_message that raised TypeError under
3.11's default decode_data. It was written by someone who had not read the codemod, its
rule tests, its round-trip programs or any converted output, and who never ran the codemod
on it: only the legacy side was run (each program three times, with the same result).
Its first run (2026-12-03 07:09, main at 63a4696; no one had tuned on it): a 8, b 8, c 10,
d 1. The d: the class and its ``from smtpd import SMTPServer`` and ``import asyncore``
inside one function; the class and its loop converted, the two imports stayed (so the
converted program still needed smtpd) and no report said so. Imports inside a block now
go as the module's do.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import smtplib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

import pytest
from test_round_trip import (  # noqa: E402
    DIALOGUES,
    DROPPED,
    PROGRAMS,
    TEMPORARY_FAILURE,
    TIMED_OUT,
    TIMEOUT,
    Program,
    interpreter,
    make_venv,
    plain,
    talk,
)

from smtpd_compat.codemod import main  # noqa: E402

HELDOUT = Path(__file__).parent / "heldout"
HELDOUT2 = Path(__file__).parent / "heldout2"
HELDOUT3 = Path(__file__).parent / "heldout3"
HELDOUT4 = Path(__file__).parent / "heldout4"
HELDOUT5 = Path(__file__).parent / "heldout5"
HELDOUT6 = Path(__file__).parent / "heldout6"
HELDOUT7 = Path(__file__).parent / "heldout7"
HELDOUT8 = Path(__file__).parent / "heldout8"
HELDOUT9 = Path(__file__).parent / "heldout9"
HELDOUT10 = Path(__file__).parent / "heldout10"
HELDOUT11 = Path(__file__).parent / "heldout11"

# Program -> the real shape it stands for (the table's second column).
SHAPES: Dict[str, str] = {
    "motw_four_arg": "PyMOTW: 4-arg process_message, default decode_data, bare loop",
    "star_self_init": "gist: __init__(*args, **kwargs) with self in args",
    "received_flag": "fake server: flag before base init, process_message(self, *args)",
    "silent_reject": "mock: extra init arg, 550 return, run() starts loop thread",
    "recipient_index": "fixture: (host, port) init, super() decode_data=False, thread",
    "debugging_logger": "DebuggingServer subclass by name, 4-arg, logging, str remote",
    "handler_chain": "service: *args super(), handler list, run() loops, except",
    "exit_condition_thread": "web suite: wrap_loop(count=1) over socket_map, exit list",
    "threaded_debug_wrapper": "dev helper: Threaded wrapper around DebuggingServer",
    "debug_main_func": "empty DebuggingServer subclass in main()",
    "okish_status": "stdlib DummyServer: reads _decode_data, '250 Okish' returns",
    "split_data_viewer": "mail viewer: decode_data=True, split_data, model list",
    "lmtp_runner": "list server: LHLO channel, handle_accept, __version__, CRLF replies",
    "context_manager_callback": "test lib: 4-arg, callback attribute, context manager",
    "class_in_run": "fixture: Thread whose run() defines the server class",
    "mock_server_thread": "web tests: list before init, Thread(target=loop) subclass",
    "filter_hook": "content filter: class-attribute filter, message_from_bytes",
    "sinkhole_dir": "sandbox sinkhole: class attr dir, 4-arg, decode_data, files",
    "mailsink_file": "mail sink recipe: __version__ attr, mbox writes, Thread class",
    "signal_close_all": "mbox helper: SIGINT handler calling asyncore.close_all()",
    "spampot_counter": "spam trap: logging, data_size_limit, '250 queued as' return",
    "direct_instance": "exercise: smtpd.SMTPServer itself, loop on named thread",
    "polling_flag_main": "device mock: main-thread count=1 polling until a flag",
    "trigger_rules": "command trigger: configparser rules, server built in function",
    "xforward_filter": "Postfix filter channel: own smtp_EHLO, XFORWARD verb",
    "store_failure": "web inbound endpoint: ORM error raised out of process_message",
    "smtputf8_enabled": "stdlib SMTPUTF8 test server: enable_SMTPUTF8, explicit options",
    "raw_arg_rcpt": "test channel: regex on the raw RCPT argument, then the base",
    "close_override": "capture server overriding close() then the base close()",
    "quiet_errors_channel": "channel handle_error override, failing process_message",
}
STOPPED_BY_STDIN = {
    "silent_reject",
    "recipient_index",
    "exit_condition_thread",
    "threaded_debug_wrapper",
    "context_manager_callback",
    "class_in_run",
    "mock_server_thread",
    "mailsink_file",
    "direct_instance",
    "polling_flag_main",
}
# Dialogues for verbs a program adds, on top of the round trip's.
EXTRA_DIALOGUES: Dict[str, Dict[str, List[str]]] = {
    "lmtp_runner": {
        "lhlo": [
            "LHLO client.example",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "RCPT TO:<zoe@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    "xforward_filter": {
        "xforward": [
            "EHLO client.example",
            "XFORWARD NAME=spike.example ADDR=192.0.2.7",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
}
# Class d programs, measured: a strict xfail each, with the change the report omits.
SILENT: Dict[str, str] = {}

# The second held-out set (heldout2/): written after the first was used to improve the
# codemod, kept from the codemod's authors so that the final measure is on unseen code.
SHAPES2: Dict[str, str] = {
    "star_args_eml": "noddy fake server: *args init, *args process_message, .eml files",
    "reply_code_fixture": "client test double: kw-only init, handle_accepted count, thread",
    "mh_folder_sink": "mail catcher: class attr folder, mailbox writes, **kwargs, main()",
    "json_inbox": "inbound service: explicit mail/rcpt_options, SMTPUTF8, JSON lines",
    "bounce_token_channel": "bounce receiver: channel sets fqdn, 4-arg default decode_data",
    "parsestr_printer": "tutorial: renamed params, decode_data=True, Parser().parsestr",
    "reject_domain_filter": "spam filter: logging to stderr, 5xx returns, '250 Ok' return",
    "size_limited_sink": "sink: explicit data_size_limit, prints server internals",
    "queue_fixture": "library test: queue.Queue, Thread(target=loop), close_all()",
    "pureproxy_header_stamp": "SMTP proxy: PureProxy subclass calling base, map= upstream",
    "dict_store_fixture": "web tests: (SMTPServer, Thread), run() polls while active",
    "polling_stop_event": "threaded test server: server built in run(), Event polling",
    "use_poll_sink": "logging daemon: SIGTERM handler, use_poll=True, 4-arg 'address'",
    "private_map_fixture": "test helper: private map=, loop(map=), close_all(map=), with",
    "version_banner": "honeypot: smtpd.__version__ set, FileHandler log, **kwargs",
    "address_router": "mail-to-app router: returns the application handler's result",
    "signal_exit_main": "sink script: SIGINT handler closing the server, sys.exit(0)",
    "classmethod_start": "test utility: server created by a classmethod start(port=0)",
    "two_mode_servers": "test module: two server classes, one chosen by a constant",
    "tutorial_custom_copy": "tutorial copy: 4-arg, default decode_data, close() on ^C",
    "flask_viewer_store": "web mail viewer: import-time daemon thread, message_from_string",
    "rcpt_wrong_email_channel": "app tests: smtp_RCPT regex then base, smtp_EHLO by flag",
    "ehlo_auth_channel": "gateway: own smtp_EHLO capabilities, smtp_AUTH PLAIN verb",
    "accept_log_channel": "py2-era fake: handle_accept + accept(), channel by hand",
    "banner_push_channel": "honeypot channel: extra init args, push() banner override",
    "quit_exitnow_channel": "one-shot server: smtp_QUIT closes and raises ExitNow",
    "command_log_channel": "tracing channel: found_terminator override, then the base",
    "debugging_instance": "debug script: DebuggingServer instance, decode_data=True",
    "debugging_file_dump": "DebuggingServer subclass: calls base, per-recipient files",
    "app_runner_base": "service framework: (Runner, SMTPServer), run() -> serve() loop",
}
STOPPED_BY_STDIN2 = {
    "reply_code_fixture",
    "queue_fixture",
    "dict_store_fixture",
    "polling_stop_event",
    "private_map_fixture",
    "classmethod_start",
    "flask_viewer_store",
    "rcpt_wrong_email_channel",
    "quit_exitnow_channel",
}
EXTRA_DIALOGUES2: Dict[str, Dict[str, List[str]]] = {
    "ehlo_auth_channel": {
        "auth": [
            "EHLO client.example",
            f"AUTH PLAIN {plain('user', 'wrong')}",
            "AUTH LOGIN",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
}
# Class d programs of the second set, measured: strict xfails, as SILENT above. (At
# 3c29b70, size_limited_sink was one: it crashed reading server._localaddr.)
SILENT2: Dict[str, str] = {}


# The third held-out set (heldout3/): a fresh sample written after the first two had been
# used to tune the codemod, independently of its code and its rule tests.
SHAPES3: Dict[str, str] = {
    "queue_server_thread_init": "test-mail helper: (SMTPServer, object), loop thread in __init__",
    "kwargs_decode_printer": "print script: **kwargs, data.decode(errors=replace), bare loop",
    "fax_relay_filter": "fax relay: log file, per-recipient checks, module-level bare loop",
    "fixed_host_fakeserver": "old fake server: no-arg __init__, 4-arg, default decode_data",
    "class_captured_sink": "app test: class-level captured list, lambda loop(count=) thread",
    "wrapper_start_stop": "test library: wrapper start()/stop(), Thread(target=loop)",
    "rewrite_forwarder": "alias rewriter: handle_mail() in bare try/except, reinjection",
    "starttls_channel": "STARTTLS example: own smtp_EHLO, smtp_STARTTLS 454, handle_accept",
    "orm_kwargs_pop": "mail store: kwargs popped before base init, 4-arg, ORM retries",
    "json_per_recipient": "disposable inbox: decode_data=True, logger, JSON per recipient",
    "session_channel_worker": "mail client daemon: mangled smtp_RCPT, push() banner, poll()",
    "activation_link_dirs": "e2e mail catcher: decode_data=True, re.search, file per address",
    "ecs_reply_receiver": "web app receiver: handle_error->excepthook, SMTPError replies",
    "nullmailer_spool": "nullmailer front end: dunder class attrs, 4-arg, spool files",
    "eml_txt_sink": "classwork sink: remoteaddr tuple, map=None, decode_data=True",
    "zabbix_event_parser": "monitoring bridge: .eml per peer, regex on decoded data",
    "app_callback_server": "console app daemon: (app, bindaddr, port), 4-arg, app callback",
    "argparse_conf_server": "ingest service: super(Cls, self), 4-arg, argparse main()",
    "maildump_auth_channel": "mail catcher: full-signature channel, EHLO/AUTH/MAIL overrides",
    "resilient_receiver": "list forwarder: collect_incoming_data/handle_error channel, 4-arg",
    "pytest_fixture_dummy": "conftest: *args super(), yield fixture, Thread(target=loop)",
    "mailserver_thread_context": "pytest plugin: (SMTPServer, Thread), count=1 polling, with",
    "auth_channel_fixture": "pytest fixture: smtp_AUTH 235 channel, class defined in run()",
    "debugging_stub_argv": "smtpstub: DebuggingServer instance, port from argv, bare loop",
    "debugging_instance_quiet": "dev helper: DebuggingServer instance, ^C passed over",
    "transporter_callbacks": "test helper: callbacks, FeedParser, 4-arg, multiprocessing",
    "mailsave_logging": "mail-to-files tool: basicConfig in __init__, numbered .eml",
    "postfix_shell_filter": "Postfix filter copy: 4-arg, file + script, smtplib reinject",
    "bulk_email_fault_thread": "LMS tests: fault-injecting handle_accept, reply once, thread",
    "honeypot_banner_channel": "honeypot: _initflag push() banner, smtp_AUTH 535, sessions",
}
STOPPED_BY_STDIN3 = {
    "queue_server_thread_init",
    "class_captured_sink",
    "wrapper_start_stop",
    "session_channel_worker",
    "pytest_fixture_dummy",
    "mailserver_thread_context",
    "auth_channel_fixture",
    "transporter_callbacks",
    "bulk_email_fault_thread",
}
EXTRA_DIALOGUES3: Dict[str, Dict[str, List[str]]] = {
    "starttls_channel": {
        "starttls": [
            "EHLO client.example",
            "STARTTLS now",
            "STARTTLS",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    "maildump_auth_channel": {
        "auth": [
            "EHLO client.example",
            "MAIL FROM:<early@example.com>",
            "AUTH LOGIN",
            f"AUTH PLAIN {plain('user', 'wrong')}",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    "auth_channel_fixture": {
        "auth": [
            "EHLO client.example",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    "honeypot_banner_channel": {
        "auth": [
            "EHLO client.example",
            "AUTH",
            "AUTH CRAM-MD5",
            f"AUTH PLAIN {plain('admin', 'hunter2')}",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
}
# Class d programs of the third set: strict xfails, as SILENT above. (Measured at 14b5262
# and again after the session's codemod work: queue_server_thread_init crashed at start-up,
# a loop thread started in __init__ naming a controller made after it; now reported.)
SILENT3: Dict[str, str] = {}


# The fourth held-out set (heldout4/): 30 further public programs' shapes, none the model
# of a program in the first three sets, written without reading the codemod.
SHAPES4: Dict[str, str] = {
    "fakemail_body_split": "dev catcher: 4-arg, str.format prints, data.split in bare except",
    "temp_mail_sqlite": "temp-mail service: from smtpd import, **kwargs, SQLite model, JSON",
    "inbox_collate_handler": "app inbox: (SMTPServer, object), handler first, collate, serve()",
    "cookbook_argparse_printer": "cookbook example: argparse host/port, 4-arg, whole data printed",
    "maildir_hash_smtputf8": "Maildir receiver: class named SMTPServer, SMTPUTF8, sha256 names",
    "self_close_one_shot": "snippet: base init by name, 4-arg, self.close() after a message",
    "explicit_options_guarded": "PyMOTW variant: options=None spelled out, try/except Exception",
    "gmail_bridge_splash": "mail-API bridge: configparser, *args init splash, 554 per recipient",
    "webhook_smtperror": "webhook forwarder: SMTPError repr as reply, decode_data=True",
    "managers_bytesparser_store": "mail store: (config, managers) init, BytesParser, per rcpt",
    "staticmethod_config_port": "app test server: @staticmethod process_message, settings port",
    "deferred_init_start": "benchmark example: empty __init__, base init and loop in start()",
    "html_part_printer": "notes page: BytesParser walk for text/html, prints None or HTML",
    "spam_filter_forward_bug": "student filter: relays with smtpd.SMTPServer(ip, port), error",
    "port_range_receiver": "web platform tests: class Queue, port range, loop while socket_map",
    "shoebox_thread_queue": "dev mail viewer: (queue, *args) init, SMTPThread run() owns server",
    "stopevent_init_thread": "gadget: Thread makes server in __init__, count=1 polling, isSet()",
    "capture_thread_running": "lab tests: class in run(), close() closes orphan channels, _running",
    "lock_event_close_all": "client tests: module Event set in __init__, contextmanager, close_all",
    "inmemory_condition_mixin": "mail lib tests: (Base, SMTPServer), thread in __init__, close()",
    "ten_minute_mail_save": "disposable-mail API: explicit options, save() helper, daemon loop",
    "smtplib_sim_channel": "stdlib smtplib tests: SimSMTPChannel EHLO/VRFY/EXPN, handle_accepted",
    "bitmessage_auth_channel": "messenger gateway: EHLO/AUTH/DATA channel, handle_accept, signals",
    "vrfy_leak_channel": "training range: smtp_VRFY pushing bytes, channel_class",
    "enum_lab_channel": "scanning lab: VRFY/EXPN/RCPT channel, loop on daemon thread",
    "argparse_debugging_base": "DebuggingServer subclass: prints envelope, calls base, argparse",
    "debug_thread_subclass": "(DebuggingServer, Thread) whose run() makes a plain DebuggingServer",
    "guarded_import_debug": "debug server: guarded smtpd import, DebuggingServer subclass, ^C",
    "user_files_debugging": "grading mock: DebuggingServer subclass, file log, signals exit",
    "spam_api_pureproxy": "anti-spam relay: PureProxy subclass, headers, own _deliver, logging",
}
STOPPED_BY_STDIN4 = {
    "port_range_receiver",
    "shoebox_thread_queue",
    "stopevent_init_thread",
    "capture_thread_running",
    "lock_event_close_all",
    "inmemory_condition_mixin",
    "ten_minute_mail_save",
    "smtplib_sim_channel",
    "debug_thread_subclass",
}
EXTRA_DIALOGUES4: Dict[str, Dict[str, List[str]]] = {
    "smtplib_sim_channel": {
        "vrfy": [
            "EHLO client.example",
            "VRFY alice@example.com",
            "VRFY zed@example.com",
            "EXPN staff",
            "EXPN nolist",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    "bitmessage_auth_channel": {
        "auth": [
            "HELO client.example",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@bmaddr.lan>",
            "DATA",
            "AUTH LOGIN",
            f"AUTH PLAIN {plain('user', 'wrong')}",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "DATA",
            "QUIT",
        ],
    },
    "vrfy_leak_channel": {
        "vrfy": ["EHLO client.example", "VRFY someone@corp.example", "QUIT"],
        "vrfy_leak": ["EHLO client.example", "VRFY backup@corp.example", "QUIT"],
    },
    "enum_lab_channel": {
        "enum": [
            "EHLO client.example",
            "VRFY bob",
            "VRFY <mallory@example.com>",
            "EXPN staff",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<zed@example.com>",
            "RCPT TO:<alice@example.com>",
            "DATA",
            "QUIT",
        ],
    },
}
# Class d programs of the fourth set: strict xfails, as SILENT above. (Its first run had
# five, listed in the module docstring; all fixed since, so none is expected.)
SILENT4: Dict[str, str] = {}


# The fifth held-out set (heldout5/): 30 further public programs' shapes, none the model of
# a program in the first four sets, written without reading the codemod.
SHAPES5: Dict[str, str] = {
    "ban_levels_channel": "sink server: VRFY/RCPT ban channel via _getaddr, 554 returns, argparse",
    "sentry_monkeypatch_ehlo": "error tracker: smtp_EHLO patched onto SMTPChannel, late base init",
    "lathermail_peer_inbox": "test inbox: channel named SMTPChannel, on_close, AUTH, 4-arg by peer",
    "mailman_exit_listener": "list tests: EXIT verb stops loop, send() override, 4-arg, queue",
    "cmexpn_greeting_channel": "load-test sink: EHLO pushes two replies, CMEXPN verb, 4-arg",
    "smtputt_network_channel": "relay: handle_accepted with private attrs, import_module plugins",
    "kolab_nested_loop": "content filter: plain SMTPChannel, asyncore.loop() inside handle_accept",
    "mq_queue_swallow": "MQ gateway: extra init args, logger.exception swallows, sys.exit(serve)",
    "smtplib_poll2_capture": "stdlib tests: stdout swapped to StringIO, asyncore.poll2 countdown",
    "self_send_debugging": "test script: empty DebuggingServer subclass, sends itself a mail",
    "fake_lag_debugging": "timeout helper: DebuggingServer *args base call, then sleep in loop",
    "lmtpd_dispatcher_init": "LMTP lib: __init__ bypasses SMTPServer (dispatcher init, bind)",
    "spambayes_main_guard_proxy": "spam proxy: `import __main__ as smtpd` guard, PureProxy, 4-arg",
    "c2_sleep_poll": "C2 lab: count=1 loop plus sleep, '250 Received'/'250 Got it'",
    "envelope_named_files": "store-all server: renamed params, file named from envelope, argv dir",
    "perseo_manager_mock": "acceptance mock: loop in multiprocessing.Process, Manager dict, 4-arg",
    "logging_sockmap_handler": "stdlib logging tests: private sockmap, count=1 until _quit",
    "outbox_typo_fixture": "CLI tests: AttributeError in process_message, fixture named smtpd",
    "devnull_cargocult_channel": "cargo-cult sink: star import, channel __init__ by hand, VRFY",
    "gnupg_named_channel_server": "list centre: server class named SMTPChannel, SIGTERM, mangled",
    "antispam_kwargs_relay": "spam filter: keyword construction, SMTPUTF8, raises, _remoteaddr",
    "colored_isinstance_printer": "colour viewer: isinstance str/bytes normalising, ANSI prints",
    "yopmail_harvester": "sign-up bot: decode_data=True, str slicing, b64decode raises inside",
    "lmtp_injected_channel": "LMTP tests: channel class passed to __init__, LHLO, Process loop",
    "required_options_fixture": "pytest plugin: required mail/rcpt_options params, env port",
    "api_bridge_thread_join": "mail-to-API bridge: thread started and joined in process_message",
    "email2sms_gateway": "SMS gateway: bare try/except, str(bytes)[2:-1], .format() on mail text",
    "localsmtp_loop_in_init": "textbook script: loop inside a wrapper's __init__, file per rcpt",
    "tpe_activation_parser": "activation catcher: config dict init, HTMLParser, module argparse",
    "example_invalid_sink": "dev receiver: 550 unless @example.invalid, deque, HTTP thread",
}
STOPPED_BY_STDIN5 = {
    "mailman_exit_listener",
    "smtputt_network_channel",
    "smtplib_poll2_capture",
    "self_send_debugging",
    "logging_sockmap_handler",
    "outbox_typo_fixture",
    "lmtp_injected_channel",
    "required_options_fixture",
}
EXTRA_DIALOGUES5: Dict[str, Dict[str, List[str]]] = {
    "ban_levels_channel": {
        "vrfy": [
            "EHLO client.example",
            "VRFY nobody@example.com",
            "VRFY <bob@example.com>",
            "VRFY",
            "QUIT",
        ],
    },
    "lathermail_peer_inbox": {
        "auth": [
            "EHLO client.example",
            "MAIL FROM:<alice@example.com>",
            "STARTTLS",
            "AUTH LOGIN",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    "devnull_cargocult_channel": {
        "vrfy": ["EHLO client.example", "VRFY postmaster", "QUIT"],
    },
    "cmexpn_greeting_channel": {
        "cmexpn": ["HELO client.example", "CMEXPN staff", "QUIT"],
    },
    "lmtp_injected_channel": {
        "lhlo": [
            "LHLO client.example",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    # Run after the standard dialogues: EXIT stops the listener's loop and the program ends.
    "mailman_exit_listener": {
        "exit": ["HELO client.example", "EXIT"],
    },
}
# Class d programs of the fifth set: strict xfails, as SILENT above. (Its first run's three
# are in the module docstring; all fixed since, so none is expected.)
SILENT5: Dict[str, str] = {}


# The sixth held-out set (heldout6/): public programs' shapes none of the first five sets
# modelled, written without reading the codemod.
SHAPES6: Dict[str, str] = {
    "fakemail_sigint_quit": "mail catcher: SIGINT handler sys.exit()s, class counter dict, .eml",
    "cloak_service_before_init": "alias filter: logging and a service before base init, 4-arg",
    "recmail_signal_dblogger": "framework command: 4-arg, signal send, unkept server, bare loop",
    "marrow_deque_main": "mailer tests: renamed 4-arg, self._stop Event, classmethod main()",
    "semaphore_setupclass_mock": "API tests: explicit options, global counters, Semaphores",
    "flask_decode_param_thread": "web viewer: decode_data=True as a process_message parameter",
    "e2e_catcher_checks": "e2e script: unkept Catcher, loop thread kwargs, PASS/FAIL stderr",
    "listen_override_banner": "classroom: listen() override printing, explicit options",
    "django_sink_class_list": "app tests: class annotation list set from outside, free_port()",
    "wrapper_class_in_start": "alert mock: class defined in start(), parent ref, emoji print",
    "eml_recipe_options": "EmlServer recipe: class counter, explicit options, 'wb' .eml",
    "tollur_version_proxy": "SMTP proxy: __version__, DEBUGSTREAM to log, renamed 4-arg, exit 3",
    "crm_auth_login_sink": "CRM test sink: argv at import, AUTH LOGIN via found_terminator",
    "burl_channel_process": "BURL proxy: process_message on the channel, copied found_terminator",
    "smtpbin_auth_inbox": "mail bin: AUTH PLAIN/LOGIN channel, 530 gate, inbox id first arg",
    "honeypot_handle_accepted": "honeypot: hand-built channel, logged push/collect, private attrs",
    "pygrader_count_close": "grader: close() override, count/process kwargs popped, 4-arg",
    "camera_mangled_auth": "camera command: mangled-private channel, EHLO sets no greeting",
    "wpwatcher_executor_debugging": "unittest: DebuggingServer, loop in an executor, close_all()",
    "mail_debug_command": "Django command: DebuggingServer in inner_run(), self.stdout",
    "busy_wait_debug_thread": "DebuggingServer subclass not calling base, busy-wait main thread",
    "mta_sim_debugging": "course simulator: DebuggingServer subclass printing TODOs, argparse",
    "phisher_debug_proxy": "phishing toolkit: (PureProxy, object), 4-arg, debugging drops",
    "maillurker_staticmethod_start": "Django catcher: staticmethod start(), parsestr(bytes)",
    "linotp_process_loop_count": "OTP tests: Process runs loop(5, False, None, n), port via Queue",
    "full_signature_forwarding": "tutorial: full stdlib signature re-declared, positional super()",
    "mail_simulator_mailboxes": "course simulator: decode_data=True 4-arg, per-recipient folders",
    "efab_bot_poll_loop": "chat bot: getopt config, count=1 loop alternating with bot polling",
    "fernet_auth_channel": "student server: AUTH channel, validator class attribute, 530 gate",
    "dhke_args_namespace": "DH demo: __init__(argparse namespace), 4-arg, close() on ^C",
}
STOPPED_BY_STDIN6 = {
    "linotp_process_loop_count",
    "semaphore_setupclass_mock",
    "flask_decode_param_thread",
    "e2e_catcher_checks",
    "django_sink_class_list",
    "wrapper_class_in_start",
    "wpwatcher_executor_debugging",
}
B64_USER = "dXNlcg=="  # "user"
B64_SECRET = "c2VjcmV0"  # "secret"
BURL_SETTINGS = "smtp.invalid|587|none|pw|imap.invalid|143|none|Sent|user|pw"
EXTRA_DIALOGUES6: Dict[str, Dict[str, List[str]]] = {
    "crm_auth_login_sink": {
        "auth": [
            "EHLO client.example",
            "AUTH LOGIN",
            B64_USER,
            B64_SECRET,
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    "burl_channel_process": {
        "auth": [
            "EHLO client.example",
            f"AUTH PLAIN {plain('user', BURL_SETTINGS)}",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    "smtpbin_auth_inbox": {
        "auth_plain": [
            "EHLO client.example",
            "MAIL FROM:<early@example.com>",
            f"AUTH PLAIN {plain('user', 'wrong')}",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
        "auth_login": [
            "EHLO client.example",
            "AUTH LOGIN",
            B64_USER,
            B64_SECRET,
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<carol@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    "camera_mangled_auth": {
        "auth": [
            "HELO client.example",
            "MAIL FROM:<early@example.com>",
            "AUTH LOGIN",
            "Y2FtMQ==",  # "cam1"
            B64_SECRET,
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
        "ehlo_auth": [
            "EHLO client.example",
            "AUTH LOGIN",
            "Y2FtMQ==",
            "d3Jvbmc=",  # "wrong"
            "MAIL FROM:<alice@example.com>",
            "QUIT",
        ],
    },
    "fernet_auth_channel": {
        "auth_plain": [
            "EHLO client.example",
            "MAIL FROM:<early@example.com>",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
        "auth_refused": ["HELO client.example", f"AUTH PLAIN {plain('user', 'wrong')}"],
        "auth_login": ["EHLO client.example", "AUTH LOGIN", B64_USER, B64_SECRET, "QUIT"],
    },
}
# Class d programs of the sixth set: strict xfails, as SILENT above. (None in its first run;
# the one the day's merges introduced is fixed, so none is expected.)
SILENT6: Dict[str, str] = {}


# The seventh held-out set (heldout7/): public programs' shapes none of the first six sets
# modelled, written without reading the codemod.
SHAPES7: Dict[str, str] = {
    "woozits_password_recovery": "course mail robot: import-time globals, 4-arg, reply by smtplib",
    "mattermost_header_split": "chat notifier: decode_data=True 4-arg, split('\\n\\n'), environ",
    "cellprofiler_map_setupclass": "suite tests: setUpClass thread loop(map=server._map), 4-arg",
    "bigitr_fork_child": "sync tool tests: (dir, *args, **kwargs), 4-arg, os.fork() child loop",
    "postfix_options_rewrite_filter": "Postfix filter: explicit options, reinjects, '250 OK'",
    "lmtp_archiver_storage": "LMTP archiver: LHLO->HELO channel, handle_accept, static Storage",
    "hsmtp_channel_in_init": "honeypot: hand-built channel set in __init__, handle_accepted, logs",
    "sentry_decorated_forwarder": "forwarding service: decorated process_message, 454, STARTTLS",
    "secure_reinit_auth_channel": "AUTH library: async_chat re-init, 4-arg called by own channel",
    "buildjson_debugging_namespace": "e2e catcher: DebuggingServer subclass run by smtpd.main() -c",
    "unused_custom_debugging_instance": "tutorial copy: 4-arg class unused, DebuggingServer used",
    "relay_service_pureproxy_logfile": "relay container: PureProxy subclass, log in init, 4-arg",
    "typed_mock_thread_matching": "test helper: typed (SMTPServer, Thread), start() in __init__",
    "lamson_router_receiver": "app framework: renamed 4-arg, use_poll loop thread, close() logs",
    "django_cram_md5_channel": "framework tests: CRAM-MD5 channel, decode_data injected, 553",
    "smtppot_consumer_process": "honeypot: mangled privates, consumer Process, SIGINT close_all()",
    "localserver_maildir_stopevent": "pytest plugin: Maildir outbox, _localaddr, count=1, 4-arg",
    "salmon_one_rcpt_channel": "app framework: mangled __rcpttos channel, SMTPError replies",
    "mender_condition_utf8": "integration fixtures: Condition, enable_SMTPUTF8, loop in start()",
    "debugging_thread_target_kwargs": "test helper: Thread(target=loop) subclass, Debugging",
    "mailrobot_loop_timeout": "deploy robot: unkept server, loop(timeout=300), 4-arg parsestr",
    "lazr_addchannel_private_map": "test server lib: add_channel map swap, EXIT/RSET verbs, 4-arg",
    "maildrake_sqlite_store": "dev mail server: decode_data default in kwargs, sqlite per message",
    "study_sections_pureproxy": "book study script: argparse sections, PureProxy instance",
    "dsmtpd_docopt_debug": "dev SMTP tool: DebuggingServer subclass not calling base, unkept",
    "mailtest_shared_server_cache": "test lib: server cache by port, callbacks dict, nested with",
    "personfinder_smtpd_asyncore": "app tests: class in run(), smtpd.asyncore.loop count=1, 4-arg",
    "vagrant_inline_logging_smtpd": "provisioning one-liner: explicit options, f-string bytes log",
    "student_dns_table_relay": "course exercise: dict 'DNS', KeyError in process_message, relay",
    "tempmail_config_at_import": "disposable mail: config.json at import, explicit options, except",
}
STOPPED_BY_STDIN7: Set[str] = {
    "cellprofiler_map_setupclass",
    "bigitr_fork_child",
    "typed_mock_thread_matching",
    "django_cram_md5_channel",
    "mender_condition_utf8",
    "debugging_thread_target_kwargs",
    "lazr_addchannel_private_map",
    "mailtest_shared_server_cache",
    "personfinder_smtpd_asyncore",
}
EXTRA_DIALOGUES7: Dict[str, Dict[str, List[str]]] = {
    "lmtp_archiver_storage": {
        "lhlo": [
            "LHLO client.example",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "LHLO again.example",
            "QUIT",
        ],
    },
    "sentry_decorated_forwarder": {
        "starttls": ["EHLO client.example", "STARTTLS now", "STARTTLS", "QUIT"],
    },
    "django_cram_md5_channel": {
        "auth": [
            "EHLO client.example",
            "AUTH CRAM-MD5",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    # Run after the standard dialogues: EXIT stops the server's loop.
    "lazr_addchannel_private_map": {
        "exit": ["HELO client.example", "EXIT"],
    },
    "secure_reinit_auth_channel": {
        "auth": [
            "EHLO client.example",
            "MAIL FROM:<early@example.com>",
            f"AUTH PLAIN {plain('user', 'wrong')}",
            "AUTH LOGIN",
            B64_USER,
            B64_SECRET,
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
        "auth_continuation": [
            "EHLO client.example",
            "AUTH CRAM-MD5",
            "AUTH PLAIN",
            plain("user", "secret"),
            "MAIL FROM:<carol@example.com>",
            "RCPT TO:<dave@example.com>",
            "DATA",
            "QUIT",
        ],
    },
}
# Class d programs of the seventh set: strict xfails, as SILENT above. (Four in its first
# run, in the module docstring; all fixed since, so none is expected.)
SILENT7: Dict[str, str] = {}


# The eighth held-out set (heldout8/): public programs' shapes none of the first seven sets
# modelled, written without reading the codemod.
SHAPES8: Dict[str, str] = {
    "meatball_index_eml": "home-server sink: index class attr, renamed 4-arg, unkept server",
    "suspicious_attachment_scan": "phishing intake: annotated **kwargs, walk attachment names",
    "pickle_mailbox_handler_thread": "mailbox web toy: thread started before server, loop retried",
    "maildump_basepath_dirs": "dump server: basepath before base init, 4-arg, loop(timeout=2)",
    "optparse_client_kwargs_pop": "forwarder: smtp_client popped from kwargs, optparse, 4-arg",
    "emoji_fixed_for_311": "hobby script 'fixed for 3.11': 4-arg f-string emoji print, bare loop",
    "fail2ban_ready_flag_active_loop": "IPS tests: ready flag, plain setUpClass, own active loop",
    "mention_mail_test_script": "feature test script: class list, inner run_server thread, exit()",
    "open_port_yield_fixture": "conftest: attrs before base init, close() joins, free-port fixture",
    "django_mailserver_config_lock": "Django mail daemon: config read in init, lock, 4-arg",
    "handler_decorators_receiver": "list receiver: HANDLERS decorators, 4-arg, use_poll thread",
    "selenium_signup_wait_for_mail": "Selenium test: self-starting (SMTPServer, Thread)",
    "disk_fixture_loop_before_yield": "conftest: session fixture loops before its yield",
    "bcc2to_getopt_proxy": "BCC proxy: PureProxy 4-arg, getopt Options, _deliver extra arg, unkept",
    "throttled_task_proxy": "throttled relay: PureProxy _deliver to a task queue, module loop",
    "doctest_debugging_connect_ex": "doctest: DebuggingServer in thread target, connect_ex",
    "unkept_debugging_server_start": "debug module: unkept DebuggingServer in a function",
    "tasks_smtpd_main_debugging": "dev tasks: python -m smtpd -n -c DebuggingServer through runpy",
    "lab_repl_debugging_statements": "lab REPL steps: module-level DebuggingServer, bare loop",
    "aiosmtplib_getaddr_finalizer": "client-lib tests: _getaddr channel, loop(1, True)",
    "norelay_mangled_getaddr": "no-relay sink: channel named SMTPChannel, mangled __getaddr",
    "sendsecure_trace_push": "secure-mail front: push/found_terminator/RCPT copies, __version__",
    "gpg_admin_verbs_channel": "encrypting gateway: re-inited channel, admin verbs",
    "argparse_bind_noddy": "fake server script: argparse port/bind, *args init and process_message",
    "mock_client_wrapper_thread": "notifier tests: shared list, Thread subclass, wrapper",
    "emailboard_sqlite_thread": "email board: sqlite in init, 4-arg, server built in daemon thread",
    "webhook_response_objects": "web-hook daemon: response objects, fileConfig, 4-arg",
    "inbox_auth_last_channel": "inbox fork: AUTH channel, last channel kept, bytes split, unkept",
    "zimbra_gateway_channel": "webmail gateway: AUTH gist channel, property validator, extra kwarg",
    "py2_secure_channel_bytes_join": "inbox service: Py2 channel named SMTPChannel, str join",
}
STOPPED_BY_STDIN8: Set[str] = {
    "pickle_mailbox_handler_thread",
    "fail2ban_ready_flag_active_loop",
    "mention_mail_test_script",
    "open_port_yield_fixture",
    "selenium_signup_wait_for_mail",
    "doctest_debugging_connect_ex",
    "aiosmtplib_getaddr_finalizer",
    "mock_client_wrapper_thread",
    "emailboard_sqlite_thread",
}
EXTRA_DIALOGUES8: Dict[str, Dict[str, List[str]]] = {
    # RCPT before MAIL reads the mangled __mailfrom alias and answers; after MAIL, the
    # mangled __getaddr does not exist and smtpd drops the connection.
    "norelay_mangled_getaddr": {
        "rcpt_first": ["HELO client.example", "RCPT TO:<bob@example.com>", "NOOP", "QUIT"],
    },
    "gpg_admin_verbs_channel": {
        "auth": [
            "EHLO client.example",
            "MAIL FROM:<early@example.com>",
            f"AUTH PLAIN {plain('user', 'wrong')}",
            "AUTH LOGIN",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "STATISTICS",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "RSET",
            "MAIL FROM:<alice@example.com>",
            "QUIT",
        ],
        "admin": [
            "HELO client.example",
            f"AUTH PLAIN {plain('admin', 'root')}",
            "STATISTICS",
            "SETUSER carol pw",
            "DELUSER admin",
            "DELUSER nobody",
            "QUIT",
        ],
    },
    "inbox_auth_last_channel": {
        "auth": [
            "EHLO client.example",
            "MAIL FROM:<early@example.com>",
            "AUTH PLAIN",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "MAIL FROM:<alice@example.com>",
            "QUIT",
        ],
        "helo_auth": [
            "HELO client.example",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "QUIT",
        ],
    },
    "zimbra_gateway_channel": {
        "auth_plain": [
            "EHLO client.example",
            "MAIL FROM:<early@example.com>",
            "STARTTLS",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "RCPT TO:<carol@example.com>",
            "DATA",
            "QUIT",
        ],
        "auth_login": [
            "EHLO client.example",
            "AUTH LOGIN",
            B64_USER,
            B64_SECRET,
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
        "auth_refused": ["HELO client.example", f"AUTH PLAIN {plain('user', 'wrong')}"],
    },
    "sendsecure_trace_push": {
        "noreply": [
            "EHLO client.example",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<do-not-reply-secure@example.com>",
            "RCPT TO:<bob@example.com> NOTIFY=NEVER",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
}
# Class d programs of the eighth set: strict xfails, as SILENT above. (One in its first
# run, in the module docstring; fixed since, so none is expected.)
SILENT8: Dict[str, str] = {}


# The ninth held-out set (heldout9/): public programs' shapes none of the first eight sets
# modelled, written without reading the codemod.
SHAPES9: Dict[str, str] = {
    "smtp2file_empty_tuple_remote": "file saver: remoteaddr (), 4-arg, message_from_string",
    "todo_parsestr_class_lists": "half-done fake server: class lists, parsestr(bytes) raises, TODO",
    "maildump_smtp_handler_bytesparser": "mail catcher: handler passed to init, returns its result",
    "greylist_triplet_451": "greylisting toy: triplet dict, 451 first time, decode_data=True",
    "autoresponder_refused_relay": "auto-responder: smtplib to _remoteaddr refused, SIGTERM exit",
    "atexit_summary_counter": "mail counter: class Counter, 4-arg, atexit report, bare loop",
    "tk_after_poll_viewer": "desktop viewer: root.after() polls loop(count=1), mainloop ^C",
    "stdin_command_console": "console server: select() on stdin, count=1 polling, quit on EOF",
    "nose_setup_module_server": "nose module: setup_module/teardown_module globals, 4-arg thread",
    "two_maps_relay_pair": "filter rig: front relays by smtplib to a private-map downstream",
    "executor_offload_webhook": "chat bridge: ThreadPoolExecutor submit, '250 Queued' return",
    "rotating_log_receiver": "mail logger: RotatingFileHandler file, 550 for refused, timeout=1",
    "s3_bucket_stand_in": "S3 archiver: env settings at import, 4-arg put_object, sys.exit(0)",
    "mail2rss_feed_writer": "newsletter to RSS: decode_data=True, rewrites feed.xml, timeout=5",
    "daemon_lockfile_context": "python-daemon sink: DaemonContext lock file, 4-arg, loop in with",
    "unittest_addcleanup_server": "unittest: setUp addCleanup(join), addCleanup(close), 4-arg",
    "mailing_list_expander": "list server: LISTS expansion, spool files, 550, 4-arg, timeout=30",
    "resetting_mbox_channel": "CMS test sink: RSET empties mbox, send() silenced, handle_accepted",
    "collect_limit_channel": "flood guard: collect_incoming_data byte cap, 421, 4-arg server",
    "help_expn_verbs_channel": "list front: own HELP, EXPN verb, SIGINT flag, count=1 polling",
    "handle_close_session_log_channel": "audit sink: MAIL/RCPT wrappers, handle_close summary line",
    "rcpt_cap_data_channel": "bulk-mail guard: smtp_DATA refuses > 3 recipients, then the base",
    "invalid_command_limit_channel": "scanner hang-up: push() counts 5xx, 421, class set in init",
    "ticket_auth_login_channel": "ticket gateway: 7-arg channel, AUTH LOGIN via found_terminator",
    "async_debugging_coroutine": "DebuggingServer subclass with async process_message, Threaded",
    "maild_alias_oneliner": "shell alias as a script: unkept DebuggingServer on one line",
    "winservice_debugging_status_thread": "Windows service stand-in: DebuggingServer, two threads",
    "debugging_print_content_override": "DebuggingServer subclass: own _print_message_content",
    "httpoe_dispatch_pureproxy": "HTTP-over-mail: PureProxy 4-arg, super(PureProxy) forward",
    "milter_basedir_pureproxy": "filtering proxy: PureProxy init(name, basedir, ...), base deliver",
}
STOPPED_BY_STDIN9: Set[str] = {
    "stdin_command_console",
    "nose_setup_module_server",
    "unittest_addcleanup_server",
    "async_debugging_coroutine",
    "winservice_debugging_status_thread",
}
LONG_MAIL9 = "MAIL FROM:<" + "a" * 300 + "@example.com>"
LONG_RCPT9 = "RCPT TO:<" + "b" * 300 + "@example.com>"
B64_WRONG9 = "d3Jvbmc="  # "wrong"
EXTRA_DIALOGUES9: Dict[str, Dict[str, List[str]]] = {
    "help_expn_verbs_channel": {
        "expn": [
            "EHLO client.example",
            "HELP",
            "HELP MAIL",
            "EXPN staff",
            "EXPN <bob@example.com>",
            "EXPN nobody",
            "EXPN",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<staff>",
            "DATA",
            "QUIT",
        ],
    },
    "ticket_auth_login_channel": {
        "auth_login": [
            "EHLO client.example",
            "MAIL FROM:<early@example.com>",
            "AUTH PLAIN",
            "AUTH LOGIN",
            B64_USER,
            B64_WRONG9,
            "AUTH LOGIN",
            "not base64 at all!",
            "AUTH LOGIN",
            B64_USER,
            B64_SECRET,
            "AUTH LOGIN",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    # Four 5xx replies and the channel pushes 421 and hangs up (the client's QUIT reads
    # it); one is let through.
    "invalid_command_limit_channel": {
        "one_error": [
            "HELO client.example",
            "XYZZY",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
        "four_errors": ["HELO client.example", "XYZZY", "FOO", "BAR", "BAZ"],
    },
    # Past 400 bytes on one connection the channel answers 421 and closes.
    "collect_limit_channel": {
        "flood": ["EHLO client.example", LONG_MAIL9, LONG_RCPT9],
    },
}
# Class d programs of the ninth set: strict xfails, as SILENT above.
SILENT9: Dict[str, str] = {}


# The tenth held-out set (heldout10/): public programs' shapes none of the first nine sets
# modelled, written without reading the codemod.
SHAPES10: Dict[str, str] = {
    "shadowed_smtpserver_wrapper": "test helper: wrapper class named SMTPServer, use_poll thread",
    "eml_text_mode_write_bug": "EmlServer copy: explicit options, bytes written in 'w' mode",
    "ready_queue_use_poll_helper": "unittest: server built in thread target, queue set after",
    "mailrobot_template_kwargs": "ops mail robot: (*args, **kwargs) init, templates, KeyError",
    "version_gated_json_console": "e2e mock: renamed **kwargs, version-gated decode, JSON lines",
    "qt_mailsink_queue_mbox": "Qt sink: class __version__, DEBUGSTREAM switch, mbox, queue",
    "byemail_renderer_attachments": "webmail receiver: persoSMTP, renderer, traceback except",
    "mbox_setter_debug_print": "mbox server: setMailboxFile() setter, X-Peer print, mailbox",
    "log_header_file_sink": "logging sink: header file written in __init__, try/except",
    "sh8_process_subclass_orm": "temp-mail site: Process subclass run() owns server, terminate",
    "healthchecks_ping_listener": "cron monitor command: super(Cls) decode_data=False, UUIDs",
    "first_rcpt_dict_start_close": "app tests: dict by first rcpt, _port, start()/close() join",
    "pysmtp_deque_log_dir": "dev server: 5-arg init, deque(maxlen), log dir, argparse",
    "missing_self_mock_counter": "old mock: process_message without self, no-arg init",
    "monitor_sender_thread_queue": "alert gateway: CRLF regexes, Sender thread started in init",
    "lock_property_fake_fixture": "test fake: messages property under the same Lock, fixture",
    "chat_smtp_full_kwargs_config": "mail-to-chat: every keyword spelt out plus config=",
    "http_inbox_sink_daemon": "code inbox: unkept Sink, socket_map port, HTTPServer main",
    "notification_html_extract": "notification test server: subject split, HTML after blank",
    "sendmail_banner_worker_channel": "mail client plugin: __fqdn lie, push() 220 swap, poll()",
    "exitnow_quit_relooped_channel": "auth library: QUIT raises ExitNow, loop run again, AUTH",
    "test_verb_pureproxy_channel": "experiment: PureProxy handle_accept, TEST verb, no code",
    "hg_dummysmtpd_handle_accept": "VCS test daemon: handle_error, hand-built channel, optparse",
    "auth_whitelist_found_terminator_channel": "relay: copied found_terminator, 530 gate",
    "ansible_two_port_debugging": "integration server: guarded import, two DebuggingServers",
    "banner_print_debugging_kwargs": "web app: DebuggingServer named subclass, daemon thread",
    "pipe_process_debugging": "test helper: DebuggingServer in a Process, Pipe, SIGINT child",
    "run_function_debugging_fixture": "sync tests: set_socket() subclass, (None, None), fixture",
    "cherrypick_alias_pureproxy": "forwarder: PureProxy, config/pid at import, alias _deliver",
    "whitelist_relay_pureproxy": "mini relay: PureProxy, selfless is_whitelisted, keywords",
}
STOPPED_BY_STDIN10: Set[str] = {
    "shadowed_smtpserver_wrapper",
    "ready_queue_use_poll_helper",
    "first_rcpt_dict_start_close",
    "lock_property_fake_fixture",
    "sendmail_banner_worker_channel",
    "run_function_debugging_fixture",
}
B64_WRONG10 = "d3Jvbmc="  # "wrong"
EXTRA_DIALOGUES10: Dict[str, Dict[str, List[str]]] = {
    "exitnow_quit_relooped_channel": {
        "auth": [
            "EHLO client.example",
            "MAIL FROM:<early@example.com>",
            "AUTH LOGIN",
            B64_USER,
            B64_SECRET,
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
        "auth_refused": [
            "EHLO client.example",
            "AUTH",
            "AUTH PLAIN",
            "AUTH LOGIN",
            B64_USER,
            B64_WRONG10,
            "AUTH LOGIN",
            "not base64 at all!",
            "MAIL FROM:<alice@example.com>",
            "QUIT",
        ],
    },
    "auth_whitelist_found_terminator_channel": {
        "auth_plain": [
            "EHLO client.example",
            "MAIL FROM:<early@example.com>",
            f"AUTH PLAIN {plain('user', 'wrong')}",
            f"AUTH PLAIN {plain('user', 'secret')}",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
        "auth_continuation": [
            "EHLO client.example",
            "AUTH PLAIN",
            plain("user", "secret"),
            "MAIL FROM:<carol@example.com>",
            "RCPT TO:<dave@example.com>",
            "DATA",
            "QUIT",
        ],
        "auth_login": [
            "HELO client.example",
            "AUTH LOGIN",
            B64_USER,
            B64_SECRET,
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "RCPT TO:<carol@example.com>",
            "DATA",
            "QUIT",
        ],
    },
    "test_verb_pureproxy_channel": {
        "test": ["HELO client.example", "TEST", "TEST hello world", "NOOP", "QUIT"],
    },
}
# Class d programs of the tenth set: strict xfails, as SILENT above.
SILENT10: Dict[str, str] = {
    "lock_property_fake_fixture": (
        "process_message, which smtpd never ran (TypeError, noted), now runs and deadlocks on "
        "its own Lock (the messages property takes it again); the test then hangs reading "
        "messages. The note now warns that a bug the TypeError hid shows once the method "
        "runs, but a hang counts as d whatever a note says"
    ),
}


# The eleventh held-out set (heldout11/): public programs' shapes none of the first ten
# sets modelled, written by someone who had not read the codemod (see the docstring).
SHAPES11: Dict[str, str] = {
    "alert_failover_rotating_log": "alert responder: tabs, string level map, RotatingFileHandler",
    "arduino_receipt_printer_thread": "receipt printer: Thread owns server, count=1 polls, Event",
    "bounce_csv_noddy": "noddy fork: globals, *args process_message, bytes split on \\n",
    "coils_named_server_manager": "groupware listener: class SMTPServer, manager queue, count=1",
    "cron_wrapper_ready_flag_test": "cron tests: run() builds server, ready flag busy-wait",
    "debug_thread_self_send_argparse": "test script: empty DebuggingServer subclass, self-send",
    "guarded_import_unkept_debugging": "tool's test server: guarded imports, unkept Debugging",
    "honeypot_subject_eml_ports": "honeypot: one unkept server per port, subject .eml files",
    "hooked_classmethod_create": "hook listener: classmethod create, hooks set after init",
    "httptestserver_rlock_contextmanager": "test library: (SMTPServer, Thread), RLock, context",
    "huey_debugging_close_interrupt": "example: DebuggingServer kept, loop closed at ^C",
    "lego_lmtp_message_id_channel": "LMTP service: LHLO channel, handle_accept, close_all close()",
    "local_relay_self_send_emoji": "helper: class inside a function, daemon loop thread, self-send",
    "mbox_bytesparser_factory_eml": "mbox writer: BytesParser factory, counter, unclosed mailbox",
    "notifier_mangled_env_pureproxy": "relay: PureProxy, set_env mangled privates, _deliver",
    "output_dir_global_debugging": "mail catcher: subclass named DebuggingServer, global dir",
    "positional_args_debugging_file_dump": "file dump: six positional args, _print_message_content",
    "pretenders_mock_history": "mock library: (SMTPServer, Pretender), classmethod start(argv)",
    "project_router_settings_lock": "project router: **kwargs init, Settings lock, reload thread",
    "receivedemails_common_log": "catcher: dunder class attribute, common.log, .eml files",
    "rental_decode_print_sink": "dev container: decode first, annotated -> None, print",
    "replybot_maildir_silenced_channel": "reply bot: silenced send(), handle_accept, signals",
    "ses_boto_errors_to_relay": "SES relay: optparse credentials, Errors-To removed, exit 1",
    "sms_twilio_walk_parts": "SMS gateway: .env settings, walk parts, try/except print",
    "smtpsinkd_json_rotation": "sink daemon: mangled class lock, JSON files, argparse",
    "ssl_sender_bug_pureproxy": "encrypting proxy: PureProxy, SMTP_SSL(self, ...) bug, unkept",
    "telegram_env_token_gate": "Telegram relay: env token, one sender gate, header strip",
}
STOPPED_BY_STDIN11: Set[str] = {
    "cron_wrapper_ready_flag_test",
    "debug_thread_self_send_argparse",
    "httptestserver_rlock_contextmanager",
    "local_relay_self_send_emoji",
}
EXTRA_DIALOGUES11: Dict[str, Dict[str, List[str]]] = {
    "lego_lmtp_message_id_channel": {
        "lhlo": [
            "LHLO client.example",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>",
            "DATA",
            "QUIT",
        ],
    },
}
# Class d programs of the eleventh set: strict xfails, as SILENT above.
SILENT11: Dict[str, str] = {}


@dataclass(frozen=True)
class HeldoutSet:
    """One folder of held-out programs and what the harness must know about them."""

    name: str
    folder: Path
    shapes: Dict[str, str]
    stopped_by_stdin: Set[str]
    extra_dialogues: Dict[str, Dict[str, List[str]]]
    silent: Dict[str, str]


SETS: Dict[str, HeldoutSet] = {
    s.name: s
    for s in (
        HeldoutSet("heldout", HELDOUT, SHAPES, STOPPED_BY_STDIN, EXTRA_DIALOGUES, SILENT),
        HeldoutSet("heldout2", HELDOUT2, SHAPES2, STOPPED_BY_STDIN2, EXTRA_DIALOGUES2, SILENT2),
        HeldoutSet("heldout3", HELDOUT3, SHAPES3, STOPPED_BY_STDIN3, EXTRA_DIALOGUES3, SILENT3),
        HeldoutSet("heldout4", HELDOUT4, SHAPES4, STOPPED_BY_STDIN4, EXTRA_DIALOGUES4, SILENT4),
        HeldoutSet("heldout5", HELDOUT5, SHAPES5, STOPPED_BY_STDIN5, EXTRA_DIALOGUES5, SILENT5),
        HeldoutSet("heldout6", HELDOUT6, SHAPES6, STOPPED_BY_STDIN6, EXTRA_DIALOGUES6, SILENT6),
        HeldoutSet("heldout7", HELDOUT7, SHAPES7, STOPPED_BY_STDIN7, EXTRA_DIALOGUES7, SILENT7),
        HeldoutSet("heldout8", HELDOUT8, SHAPES8, STOPPED_BY_STDIN8, EXTRA_DIALOGUES8, SILENT8),
        HeldoutSet("heldout9", HELDOUT9, SHAPES9, STOPPED_BY_STDIN9, EXTRA_DIALOGUES9, SILENT9),
        HeldoutSet(
            "heldout10", HELDOUT10, SHAPES10, STOPPED_BY_STDIN10, EXTRA_DIALOGUES10, SILENT10
        ),
        HeldoutSet(
            "heldout11", HELDOUT11, SHAPES11, STOPPED_BY_STDIN11, EXTRA_DIALOGUES11, SILENT11
        ),
    )
}
# The note of a process_message smtpd called with keywords it does not take.
RAISED_TYPE_ERROR = "raised TypeError on every message"
# ... and says what converted code answers instead: process_message's own reply.
ANSWERS_ITS_REPLY = "answers what it returns"
ANSWERED = (250, "OK")

# (set, program, interpreter) -> (class, details)
ROWS: Dict[Tuple[str, str, str], Tuple[str, List[str]]] = {}
LEGACY_IMPORT = re.compile(r"^\s*(import|from)\s+(smtpd|asyncore|asynchat)\b", re.M)
GREETING_SET = re.compile(r"smtpd\.__version__\s*=")
MBOX_FROM_DATE = re.compile(r"^(From \S+ ).*$", re.M)  # mailbox writes the wall clock
FILE_SKIP = {".py", ".jsonl", ".pyc"}


def on_disk(held: HeldoutSet) -> List[str]:
    return sorted(p.stem for p in held.folder.glob("[!_]*.py"))


def program_params() -> List[object]:
    """(set, program) pairs; the first set keeps its bare ids (``-k name`` still works)."""
    params = []
    for held in SETS.values():
        for n in on_disk(held):
            marks = []
            if n in held.silent:
                marks = [pytest.mark.xfail(strict=True, reason=held.silent[n])]
            ident = n if held.name == "heldout" else f"{held.name}/{n}"
            params.append(pytest.param(held.name, n, marks=marks, id=ident))
    return params


def copy_program(held: HeldoutSet, name: str, where: Path) -> Path:
    where.mkdir()
    shutil.copy(PROGRAMS / "_record.py", where)  # the round trip's recorder, shared
    return Path(shutil.copy(held.folder / f"{name}.py", where))


def written_files(where: Path) -> Dict[str, str]:
    """Files the program wrote next to itself (mboxes, .eml files), by relative path."""
    found = {}
    for path in sorted(where.rglob("*")):
        if path.is_file() and path.suffix not in FILE_SKIP and "__pycache__" not in path.parts:
            text = path.read_text(errors="replace")
            found[str(path.relative_to(where))] = MBOX_FROM_DATE.sub(r"\1<date>", text)
    return found


def converse(port: int, commands: List[str]) -> List[Tuple[int, str]]:
    """talk(), with a failure to connect or a broken session as a reply of its own.

    Where process_message raised, smtpd dropped the connection and converted code
    answers 451 (noted). After either, the client gives up on the session, as a mail
    client retrying later on a new connection would: the dialogue's later messages are
    sent to neither program, so both see the same messages.
    """
    try:
        return [tuple(r) for r in talk(port, commands, gives_up_on=TEMPORARY_FAILURE)]  # type: ignore[misc]
    except (OSError, smtplib.SMTPException) as error:
        return [(-1, f"{type(error).__name__}: {error}")]


class HeldoutProgram(Program):
    """A Program whose start-up may print lines before its port (kept in its stdout).

    The pipe is read as bytes up to the port line: a text readline() after select()
    leaves a port line that came in the same chunk as the lines before it in the
    reader's buffer, where select() does not see it (the start-up then "hangs").
    """

    def readline(self) -> str:
        assert self.proc.stdout is not None
        pipe = self.proc.stdout.fileno()
        received = b""
        deadline = time.monotonic() + TIMEOUT
        while True:
            found = split_at_port(received)
            if found is not None:
                port, self.preamble = found
                return port
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([pipe], [], [], left)[0]:
                pytest.fail(f"no port within {TIMEOUT}s: {received!r} {self.kill()}")
            chunk = os.read(pipe, 4096)
            if not chunk:
                pytest.fail(f"program exited: {received!r} {self.kill()}")
            received += chunk


def split_at_port(received: bytes) -> Optional[Tuple[str, str]]:
    """The first whole line that is a port number, and the rest of what was read."""
    lines = received.split(b"\n")
    for index, line in enumerate(lines[:-1]):  # the last piece is not a whole line yet
        if line.strip().isdigit():
            rest = b"\n".join(lines[:index] + [b""]) + b"\n".join(lines[index + 1 :])
            text = rest.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
            return line.decode() + "\n", text
    return None


def run_program(python: Path, path: Path, held: HeldoutSet) -> dict:
    """One run: replies to every dialogue, records, stdout, stderr, files, exit status."""
    try:
        running = HeldoutProgram(python, path)
    except pytest.fail.Exception as error:  # no port printed: it crashed at start-up
        return {"crash": str(error)[:300]}
    dialogues = {**DIALOGUES, **held.extra_dialogues.get(path.stem, {})}
    replies = {name: converse(running.port, cmds) for name, cmds in dialogues.items()}
    try:
        out, records = running.stop(by_stdin=path.stem in held.stopped_by_stdin)
    except Exception as error:  # it would not stop
        running.kill()
        return {"crash": f"did not stop: {type(error).__name__}: {error}"}
    return {
        "replies": replies,
        "records": records,
        "stdout": without_run_details(running.preamble + out, path.parent),
        "stderr": without_run_details(running.stderr, path.parent),
        "files": written_files(path.parent),
        "status": running.proc.returncode,
    }


RUN_DETAILS = (
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),  # a client's port
    (re.compile(r" at 0x[0-9a-f]+"), " at 0x<address>"),  # an object's repr
    # A traceback the program logs itself: converted code has helpers above the
    # program's own lines, and 3.12+ underlines other parts of a line than 3.11.
    (re.compile(r'^(  File "[^"]+", line )\d+', re.M), r"\1<n>"),
    (re.compile(r"^ +[~^]+ *\n", re.M), ""),
)


def without_run_details(text: str, where: Path) -> str:
    """Output without what differs on every run of the same program: the directory it
    ran in (traceback paths), client ports and object addresses (asyncore's report of a
    channel, which a program may route through its own log), and what differs in a
    traceback between the program and its conversion: line numbers and underlines."""
    text = text.replace(f"{where}/", "")
    for pattern, mark in RUN_DETAILS:
        text = pattern.sub(mark, text)
    return text


def convert(path: Path, capsys: pytest.CaptureFixture[str]) -> Tuple[List[str], List[str]]:
    """Run the codemod on one copy; its (blocker, note) report lines."""
    main([str(path)])
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith(str(path))]
    notes = [x for x in lines if ": note: " in x]
    return [x for x in lines if x not in notes], notes


def reply_differences(
    name: str, legacy: dict, native: dict, notes: str, keep_greeting: bool
) -> Tuple[List[str], bool]:
    """Differing replies, each named; and whether a dropped connection became 451."""
    found, dropped = [], False
    for dialogue, old in legacy["replies"].items():
        new = native["replies"][dialogue]
        if not keep_greeting:
            old, new = old[1:], new[1:]
        unanswered = (DROPPED, TIMED_OUT)  # smtpd dropped it, or left it open (handle_error)
        if old and tuple(old[-1]) in unanswered and len(new) >= len(old):
            now = tuple(new[len(old) - 1])
            if now == TEMPORARY_FAILURE and "451" in notes:
                dropped = True
                old, new = old[:-1], new[: len(old) - 1]
            elif now not in unanswered and now_answers(notes):
                dropped = True  # smtpd's TypeError: the note says the message is now handled
                old, new = old[:-1], new[: len(old) - 1]
        for index, (was, now) in enumerate(zip(old, new)):
            if tuple(was) != tuple(now):
                found.append(f"{dialogue} reply {index}: smtpd {tuple(was)}, now {tuple(now)}")
        if len(old) != len(new):
            found.append(f"{dialogue}: smtpd {len(old)} replies, now {len(new)}")
    return found, dropped


def now_answers(notes: str) -> bool:
    """The notes say smtpd's TypeError dropped the message and converted code answers it."""
    return RAISED_TYPE_ERROR in notes and ANSWERS_ITS_REPLY in notes


def without_paths(text: str) -> str:
    """A crash message without the run's directories, the same on every interpreter."""
    text = re.sub(r"\[[^\]]*python', '-u', [^\]]*\]", "[the program]", text)
    return re.sub(r"/\S*/converted/", "", text)


def without_tracebacks(text: str) -> str:
    """stderr without the tracebacks converted code prints with its 451 (noted), chained
    ones included."""
    text = re.sub(CHAINED, "", text)
    return re.sub(r"Traceback \(most recent call last\):\n(?:[ ^~].*\n|\n)*\S.*\n", "", text)


CHAINED = re.compile(
    r"\n(?:During handling of the above exception, another exception occurred"
    r"|The above exception was the direct cause of the following exception):\n\n"
)


INTERRUPTED = re.compile(
    r"(?:Traceback \(most recent call last\):\n(?:[ ^~].*\n|\n)*\S.*\n\n"
    r"During handling of the above exception, another exception occurred:\n\n)?"
    r"Traceback \(most recent call last\):\n(?:[ ^~].*\n|\n)*KeyboardInterrupt\n"
)


def interrupt_marked(text: str) -> str:
    """stderr with a Ctrl+C traceback reduced to a marker: a bare loop ended by Ctrl+C
    dies with one on both sides, but its frames (where the signal landed, maybe while
    another exception was handled; the event loop's own code) differ from run to run."""
    return INTERRUPTED.sub("<KeyboardInterrupt traceback>\n", text)


def without_asyncore_report(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(x for x in lines if not x.startswith("error: uncaptured python exception"))


def differences(name: str, legacy: dict, native: dict, notes: str, source: str) -> List[str]:
    """Every observable difference not listed in the notes (the 451 for a drop is)."""
    if "crash" in native:
        return [f"converted program crashed: {without_paths(native['crash'])}"]
    keep_greeting = bool(GREETING_SET.search(source))
    found, dropped = reply_differences(name, legacy, native, notes, keep_greeting)
    if now_handled(legacy, native, notes):
        return found  # the method never ran under smtpd: what it does now is all new (noted)
    if native["records"] != legacy["records"]:
        found.append(
            f"process_message: smtpd got {len(legacy['records'])} calls "
            f"{summary(legacy['records'])}, now {len(native['records'])} "
            f"{summary(native['records'])}"
        )
    old_out = without_asyncore_report(legacy["stdout"]) if dropped else legacy["stdout"]
    raced_past = legacy.get("raced") and native["stdout"].startswith(old_out)
    if native["stdout"] != old_out and not raced_past:
        found.append(f"stdout: smtpd {old_out!r:.300}, now {native['stdout']!r:.300}")
    # With a drop, converted code logs a traceback beside its 451 (noted); the program's
    # own tracebacks are then left out on both sides, so the rest compares like for like.
    new_err = without_tracebacks(native["stderr"]) if dropped else native["stderr"]
    old_err = without_tracebacks(legacy["stderr"]) if dropped else legacy["stderr"]
    if interrupt_marked(new_err) != interrupt_marked(old_err):
        found.append(f"log: smtpd {legacy['stderr']!r:.300}, now {native['stderr']!r:.300}")
    if native["files"] != legacy["files"]:
        found.append(f"files: smtpd {sorted(legacy['files'])}, now {sorted(native['files'])}")
    if native["status"] != legacy["status"]:
        found.append(f"exit status: smtpd {legacy['status']}, now {native['status']}")
    return found


def now_handled(legacy: dict, native: dict, notes: str) -> bool:
    """smtpd never ran this process_message (TypeError, noted); converted code does."""
    return RAISED_TYPE_ERROR in notes and not legacy["records"] and bool(native["records"])


def summary(records: List[dict]) -> str:
    return str([(r["data_type"], sorted(r["kwargs"])) for r in records][:2])


def classify(
    held: HeldoutSet,
    name: str,
    path: Path,
    before: str,
    legacy: dict,
    native_python: Path,
    capsys: pytest.CaptureFixture[str],
) -> Tuple[str, List[str]]:
    blockers, notes = convert(path, capsys)
    after = path.read_text()
    if blockers:
        return "c", [b.split(": ", 1)[1] for b in blockers]
    if LEGACY_IMPORT.search(after):
        return "d", ["still uses smtpd/asyncore and no blocker is reported"]
    if "crash" in legacy:
        pytest.fail(f"the legacy program does not run: {legacy['crash']}")
    native = run_program(native_python, path, held)
    found = differences(name, legacy, native, " ".join(notes), before)
    if found:
        return "d", found
    dropped = any(tuple(r[-1]) == DROPPED for r in legacy["replies"].values() if r)
    compared = f"same: {len(legacy['records'])} process_message calls, replies, output"
    assert legacy["records"] or legacy["stdout"], "nothing to compare: the dialogues failed"
    if now_handled(legacy, native, " ".join(notes)):
        calls = f"{len(native['records'])} process_message calls"
        return "b", [f"smtpd dropped every message (TypeError); now {calls}, answered (noted)"]
    if dropped:
        noted = "451 and a traceback on stderr where smtpd dropped the connection (noted)"
        return "b", [compared, noted]
    return "a", [compared]


@pytest.fixture(scope="session")
def heldout_legacy() -> Dict[Tuple[str, str], dict]:
    return {}


@pytest.fixture(scope="session")
def legacy_python() -> Path:
    return interpreter("3.11")


@pytest.fixture(scope="session", params=["3.12", "3.13"])
def native_python(request: pytest.FixtureRequest) -> Path:
    """The round trip's venvs: aiosmtpd alone, nothing of ours."""
    return make_venv(request.param)


@pytest.fixture(scope="module", autouse=True)
def print_table(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the classification table once the module's tests have run."""
    started = time.monotonic()
    yield
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is None or not ROWS:
        return
    with capture.global_and_fixture_disabled():
        for held in SETS.values():
            if any(s == held.name for s, _, _ in ROWS):
                print(table(held, time.monotonic() - started), flush=True)


def table(held: HeldoutSet, seconds: float) -> str:
    """One row per program of a set: its class on each interpreter, then what differs, once."""
    rows = {(n, v): cd for (s, n, v), cd in ROWS.items() if s == held.name}
    lines = ["", f"held-out codemod evaluation, {held.name}/ ({seconds:.0f} s for the run)"]
    names = sorted({name for name, _ in rows})
    for name in names:
        runs = [(v, c, d) for (n, v), (c, d) in sorted(rows.items()) if n == name]
        classes = " ".join(f"{c}({v})" for v, c, _ in runs)
        shape = held.shapes[name]
        lines.append(f"{max(c for _, c, _ in runs)}  {name:<26} {shape}  [{classes}]")
        seen: List[str] = []
        for _, _, details in runs:
            seen.extend(d for d in details if d not in seen)
        lines.extend(f"       - {detail[:300]}" for detail in seen)
    worst = [max(c for (n, _), (c, _) in rows.items() if n == name) for name in names]
    counts = {c: worst.count(c) for c in "abcd"}
    lines.append(f"per program (worst over the interpreters): {counts} of {len(names)}")
    return "\n".join(lines)


#: Legacy's own race: a signal handler that closes the server while asyncore's
#: select() waits makes the retried select() fail on the closed descriptor (EBADF),
#: or not, by timing.
LEGACY_RACE = "file descriptor"


def run_legacy(python: Path, held: HeldoutSet, name: str, tmp_path: Path) -> dict:
    """The legacy run; one that crashed or lost legacy's EBADF race is run again
    (3 tries)."""
    for attempt in range(3):
        path = copy_program(held, name, tmp_path / f"legacy{attempt}")
        result = run_program(python, path, held)
        if "crash" in result:  # the oracle itself did not run (seen once on a loaded CI)
            continue
        if LEGACY_RACE not in result["stderr"]:
            return result
    if "crash" in result:
        return result  # classify() fails the test: no oracle after three tries
    # Lost every time: what legacy did before its crash is the oracle; the crash
    # itself (traceback, exit status 1, the lines it never reached) is not.
    return dict(result, stderr=without_tracebacks(result["stderr"]), status=0, raced=True)


@pytest.mark.slow
@pytest.mark.parametrize(("held_name", "name"), program_params())
def test_heldout_program(
    held_name: str,
    name: str,
    legacy_python: Path,
    native_python: Path,
    heldout_legacy: Dict[Tuple[str, str], dict],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    held = SETS[held_name]
    if (held_name, name) not in heldout_legacy:
        heldout_legacy[(held_name, name)] = run_legacy(legacy_python, held, name, tmp_path)
    legacy = heldout_legacy[(held_name, name)]
    path = copy_program(held, name, tmp_path / "converted")
    before = path.read_text()
    version = native_python.parent.parent.name.split("-")[0]
    cls, details = classify(held, name, path, before, legacy, native_python, capsys)
    ROWS[(held_name, name, version)] = (cls, details)
    assert cls != "d", f"{held_name}/{name}: silent change or crash: {details}"


@pytest.mark.parametrize("held_name", sorted(SETS))
def test_every_heldout_program_has_a_shape(held_name: str) -> None:
    held = SETS[held_name]
    assert on_disk(held) == sorted(held.shapes)
    assert set(held.silent) <= set(held.shapes)
    assert held.stopped_by_stdin <= set(held.shapes)
    assert set(held.extra_dialogues) <= set(held.shapes)


def first_comment(held: HeldoutSet, name: str) -> Optional[str]:
    line = (held.folder / f"{name}.py").read_text().splitlines()[0]
    return line if line.startswith("# Shape:") else None


@pytest.mark.parametrize("held_name", sorted(SETS))
def test_every_heldout_program_names_its_shape(held_name: str) -> None:
    held = SETS[held_name]
    assert [n for n in held.shapes if first_comment(held, n) is None] == []


def test_heldout_sets_share_no_program_name() -> None:
    """Rows and legacy results are per set, but ``-k name`` should pick one program."""
    names = [name for held in SETS.values() for name in held.shapes]
    assert len(names) == len(set(names))

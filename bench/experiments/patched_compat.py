"""smtpd_compat with experimental monkeypatches, to size optimisation ideas before
they are made in the package (bench/README.md, "What the profiles show").

    python patched_compat.py PATCH[,PATCH...]|none ENGINE_SCRIPT [engine options]

recv64k: transport.max_size = 64 KiB (asyncio's 256 KiB recv buffer is mmapped,
         mremapped and unmapped on every read);
addr:    a regex fast path for <dot-atom@dot-atom> before email's address parser;
debug:   skip debug_print (and its repr of every line) while DEBUGSTREAM is Devnull;
hop:     process_message handed over by a SimpleQueue and one loop future instead
         of run_in_executor (ThreadPoolExecutor + concurrent Future + wrap_future);
timer:   no idle-timer re-arm per read (sizes its cost; NOT a correct fix).
"""

import os
import queue
import re
import runpy
import sys
import threading

PATCHES = set(sys.argv[1].split(",")) - {"none"}
SCRIPT = sys.argv[2]
sys.argv = sys.argv[2:]
sys.path.insert(0, os.path.dirname(SCRIPT))
import smtpd_compat  # noqa: E402
from smtpd_compat import _bridge, _channel  # noqa: E402

if "recv64k" in PATCHES:
    orig_cm = _bridge.LegacySMTP.connection_made

    def connection_made(self, transport):
        orig_cm(self, transport)
        transport.max_size = 65536

    _bridge.LegacySMTP.connection_made = connection_made

if "addr" in PATCHES:
    SIMPLE = re.compile(
        r"<([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
        r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>"
    )
    orig_getaddr = _channel.SMTPChannel._getaddr

    def _getaddr(self, arg):
        m = SIMPLE.match(arg) if arg else None
        if m:
            return m.group(1), arg[m.end() :]
        return orig_getaddr(self, arg)

    _channel.SMTPChannel._getaddr = _getaddr

if "debug" in PATCHES:
    orig_dp = _channel.debug_print
    Devnull = smtpd_compat.Devnull

    def debug_print(*args):
        if type(smtpd_compat.DEBUGSTREAM) is Devnull:
            return
        orig_dp(*args)

    _channel.debug_print = debug_print

if "hop" in PATCHES:
    Q = queue.SimpleQueue()

    def _set(fut, ok, value):
        if not fut.cancelled():
            (fut.set_result if ok else fut.set_exception)(value)

    def worker():
        while True:
            loop, fut, fn, args = Q.get()
            try:
                r = fn(*args)
                ok = True
            except BaseException as e:
                r = e
                ok = False
            loop.call_soon_threadsafe(_set, fut, ok, r)

    threading.Thread(target=worker, daemon=True, name="lean-worker").start()
    call_process_message = _bridge.call_process_message

    async def _deliver_pending(self):
        conn = self.conn
        message, conn.pending = conn.pending, None
        channel, server = conn.channel, conn.channel.smtp_server
        self.busy = True
        try:
            fut = self.loop.create_future()
            Q.put((self.loop, fut, call_process_message, (server, *message)))
            status = await fut
        except Exception:
            conn.in_job = True
            try:
                channel.handle_error()
            finally:
                conn.in_job = False
        else:
            self._guarded(channel._message_done, status)
        finally:
            self.busy = False
        conn.suspended = False
        self._guarded(channel._feed, b"")

    _bridge.LegacySMTP._deliver_pending = _deliver_pending

if "timer" in PATCHES:
    # no per-read re-arm of the idle timer (measures its cost; not a correct fix)
    _bridge.LegacySMTP._reset_timeout = lambda self, duration=None: None

runpy.run_path(SCRIPT, run_name="__main__")

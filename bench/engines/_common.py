"""What every benchmark engine shares: options, the message sink, port and stats I/O.

An engine is a small server script. It binds 127.0.0.1 port 0, prints the bound port
on one stdout line, serves until SIGTERM, then prints one JSON line of its own stats
(messages and bytes handed to the application) and exits. The runner measures CPU and
memory from outside, so an engine does no measuring of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time

HOST = "127.0.0.1"


def parse_options(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--handler-sleep",
        type=float,
        default=0.0,
        help="seconds the application handler blocks per message (time.sleep)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="smtpd_compat only: SMTPServer(..., concurrency=N); 0 leaves the default",
    )
    parser.add_argument(
        "--handler",
        choices=("async", "executor"),
        default="async",
        help="native aiosmtpd only: async handle_DATA, or one that uses run_in_executor",
    )
    return parser.parse_args(argv)


class Sink:
    """The application: counts what it receives, optionally blocking like real work."""

    def __init__(self, handler_sleep: float) -> None:
        self.handler_sleep = handler_sleep
        self.messages = 0
        self.data_bytes = 0
        self.threads = set()
        self._lock = threading.Lock()

    def take(self, data) -> None:
        if self.handler_sleep:
            time.sleep(self.handler_sleep)
        with self._lock:
            self.messages += 1
            self.data_bytes += len(data)
            self.threads.add(threading.current_thread().name)

    def stats(self) -> dict:
        with self._lock:
            return {
                "messages": self.messages,
                "data_bytes": self.data_bytes,
                "handler_threads": sorted(self.threads),
            }


def announce_port(port: int) -> None:
    """Tell the runner where we listen: one line, flushed."""
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()


def report_and_exit(sink: Sink) -> None:
    sys.stdout.write("STATS " + json.dumps(sink.stats()) + "\n")
    sys.stdout.flush()
    os._exit(0)


def exit_on_sigterm(sink: Sink) -> None:
    """For engines whose main thread runs asyncore.loop(): SIGTERM reports and exits.

    os._exit skips interpreter shutdown on purpose: it must work whatever state the
    engine under test is in (threads, a loop blocked in select()).
    """
    signal.signal(signal.SIGTERM, lambda signum, frame: report_and_exit(sink))

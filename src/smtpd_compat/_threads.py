"""The threads behind every server: one shared event loop, one worker pool each.

Neither knows SMTP. Both block SIGINT/SIGTERM so signals reach the program's main
thread, and both stop with a bounded join: no shutdown waits forever.
"""

from __future__ import annotations

import asyncio
import queue
import signal
import threading
from typing import Any, Callable, Optional, Tuple


def block_signals() -> None:
    """Helper threads leave SIGINT/SIGTERM to the program's main thread."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


class EventLoopThread:
    """One asyncio loop on a daemon thread, shared by every open server (as one
    asyncore map was); it stops when the last server closes."""

    _lock = threading.Lock()
    _current: Optional[EventLoopThread] = None

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.users = 0
        ready = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(ready,), name="smtpd_compat-loop", daemon=True
        )
        self.thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        block_signals()
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    @classmethod
    def acquire(cls) -> EventLoopThread:
        with cls._lock:
            if cls._current is None:
                cls._current = cls()
            cls._current.users += 1
            return cls._current

    def release(self, timeout: float = 10.0) -> None:
        with self._lock:
            self.users -= 1
            if self.users > 0:
                return
            EventLoopThread._current = None
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout)

    def run(self, coro: Any, timeout: float = 30.0) -> Any:
        """Run a coroutine on the loop and wait for its result (not from the loop)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


Done = Callable[[Any, Optional[BaseException]], None]
WorkItem = Tuple[Callable[..., Any], Tuple[Any, ...], Done]


class WorkerPool:
    """The threads user code of one server runs on (``concurrency`` of them).

    A queue and plain threads instead of ``ThreadPoolExecutor``: handing over a
    message costs one queue put, not a Future with its locks and callbacks, and
    shutdown joins with a timeout (bench/README.md has the measurements)."""

    def __init__(self, size: int, name: str) -> None:
        self._queue: queue.SimpleQueue[Optional[WorkItem]] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name="%s_%d" % (name, i), daemon=True)
            for i in range(max(1, size))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., Any], args: Tuple[Any, ...], done: Done) -> None:
        """Run ``fn(*args)`` on a worker, then ``done(result, error)`` there."""
        self._queue.put((fn, args, done))

    def _work(self) -> None:
        block_signals()
        while True:
            item = self._queue.get()
            if item is None:
                return
            fn, args, done = item
            try:
                result, error = fn(*args), None
            except BaseException as exc:  # handed to the loop, which decides
                result, error = None, exc
            done(result, error)

    def owns_current_thread(self) -> bool:
        return threading.current_thread() in self._threads

    def shutdown(self, timeout: float) -> None:
        """Let queued work finish, then join every thread within ``timeout``."""
        for _ in self._threads:
            self._queue.put(None)
        me = threading.current_thread()
        for thread in self._threads:
            if thread is not me:
                thread.join(timeout)

"""Where code runs: the shared event-loop thread, the program's own loop thread, a pool.

Nothing here knows SMTP. Three places run work:

* :class:`EventLoopThread`: one asyncio loop on a daemon thread, shared by every
  connection being served; it exists only while some connection needs it, so a
  server that is open but idle holds no thread.
* :class:`ProgramLoopJobs`: the thread that runs the program's own loop
  (``asyncore.loop()``, ``smtpd_compat.loop()``, a ``count=`` polling loop) over one
  socket map. It is an entry in that map, woken by a socket pair, and runs queued
  jobs inside the program's loop, as legacy ran every hook. Nothing runs while no
  loop runs.
* :class:`WorkerPool`: ``concurrency=N`` threads, for programs that opt out of
  thread affinity to run ``process_message`` N at a time.

Helper threads block SIGINT/SIGTERM so signals reach the program's main thread, and
every join has a deadline.
"""

from __future__ import annotations

import asyncio
import collections
import os
import queue
import signal
import socket
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional

Done = Callable[[Any, Optional[BaseException]], None]

#: What ended legacy's loop instead of reaching ``handle_error``.
LOOP_ENDING_NAMES = frozenset({"ExitNow", "KeyboardInterrupt", "SystemExit"})


def ends_program_loop(exc: BaseException) -> bool:
    """``asyncore.ExitNow`` (of whichever asyncore), Ctrl-C, ``sys.exit()``."""
    return type(exc).__name__ in LOOP_ENDING_NAMES or not isinstance(exc, Exception)


def block_signals() -> None:
    """Helper threads leave SIGINT/SIGTERM to the program's main thread."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


class Job:
    """One call of user code, and what to do with its outcome. A job cancelled
    before it starts never runs: its session is gone or the server has closed."""

    __slots__ = ("fn", "done", "owner", "cancelled", "started")

    def __init__(self, fn: Callable[[], Any], done: Done, owner: Any = None) -> None:
        self.fn = fn
        self.done = done
        self.owner = owner
        self.cancelled = False
        self.started = False

    def run(self) -> Optional[BaseException]:
        """Run unless cancelled; report to ``done``; return a loop-ending error."""
        if self.cancelled:
            return None
        self.started = True
        try:
            result, error = self.fn(), None
        except BaseException as exc:  # the session decides; loop-ending ones re-raise
            result, error = None, exc
        self.done(result, error)
        return error if error is not None and ends_program_loop(error) else None


class EventLoopThread:
    """The asyncio loop every connection is served on, alive while anyone holds it."""

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
        if not ready.wait(10):
            raise RuntimeError("smtpd_compat: the event-loop thread did not start in 10 s")

    def _run(self, ready: threading.Event) -> None:
        block_signals()
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        self.loop.run_forever()
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    @classmethod
    def acquire(cls) -> EventLoopThread:
        """The running loop thread (started if none), held until :meth:`release`."""
        with cls._lock:
            if cls._current is None:
                cls._current = cls()
            cls._current.users += 1
            return cls._current

    @classmethod
    def acquire_existing(cls) -> Optional[EventLoopThread]:
        """Hold the running loop thread, if there is one (to drain its sessions)."""
        with cls._lock:
            if cls._current is not None:
                cls._current.users += 1
            return cls._current

    def release(self, timeout: float = 10.0) -> None:
        """Drop one hold; the last one stops the loop (joined unless on it)."""
        with self._lock:
            self.users -= 1
            if self.users > 0:
                return
            if EventLoopThread._current is self:
                EventLoopThread._current = None
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:  # already closed
            return
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout)

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Schedule ``fn(*args)`` on the loop from any thread."""
        self.loop.call_soon_threadsafe(fn, *args)

    def run(self, coro: Any, timeout: float = 30.0) -> Any:
        """Run a coroutine on the loop and wait for its result (not from the loop)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


class ProgramLoopJobs:
    """Runs jobs on the thread that runs the program's loop over one socket map.

    To that loop it is one more dispatcher: readable, woken through a socket pair
    when jobs arrive, running them in ``handle_read_event`` one after another. An
    ``ExitNow``, ``KeyboardInterrupt`` or ``SystemExit`` from a job leaves the
    program's loop from there, as it did from a legacy hook; jobs still queued wait
    for the next loop. One instance per map, shared by the servers in it."""

    _registry: Dict[int, ProgramLoopJobs] = {}
    _registry_lock = threading.Lock()

    def __init__(self, socket_map: Dict[int, Any]) -> None:
        self._map = socket_map
        self._jobs: Deque[Job] = collections.deque()
        self._signal_lock = threading.Lock()
        self._signalled = False
        self._pending_exit: Optional[BaseException] = None
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._fd = self._reader.fileno()
        self._retired: List[int] = []  # fds of sockets retired while a loop may poll
        self._closing = False
        self._closed = False
        self.users = 0
        self.loop_thread: Optional[threading.Thread] = None  # last thread that ran us
        self.running_jobs = False
        #: Called when the program's loop starts running user code (it stops polling).
        self.busy_hooks: List[Callable[[], None]] = []
        socket_map[self._fd] = self

    @classmethod
    def for_map(cls, socket_map: Dict[int, Any]) -> ProgramLoopJobs:
        """The map's job runner, created with its first server."""
        with cls._registry_lock:
            jobs = cls._registry.get(id(socket_map))
            if jobs is None or jobs._map is not socket_map:
                jobs = cls._registry[id(socket_map)] = cls(socket_map)
            jobs.users += 1
            return jobs

    def release(self) -> None:
        """A server left the map; the last one takes the runner out of it."""
        with self._registry_lock:
            self.users -= 1
            if self.users > 0:
                return
            if self._registry.get(id(self._map)) is self:
                del self._registry[id(self._map)]
        self.close()

    # -- submitting (any thread) -----------------------------------------------

    def submit(self, job: Job) -> None:
        self._jobs.append(job)
        self.wake()

    def wake(self) -> None:
        """Make the program's loop come round (at most one byte in flight)."""
        with self._signal_lock:
            if self._signalled:
                return
            self._signalled = True
        try:
            self._writer.send(b"x")
        except OSError:  # full (a byte is there already) or closed
            pass

    def exit_loop(self, exc: BaseException) -> None:
        """End the program's loop with ``exc`` (user code raised it elsewhere)."""
        self._pending_exit = exc
        self.wake()

    def on_current_thread(self) -> bool:
        """True on the thread that runs (or last ran) the program's loop over the map."""
        return self.loop_thread is threading.current_thread()

    def no_loop_can_be_polling(self) -> bool:
        """No loop has polled the map yet, or its thread is this one, or gone.

        (A loop that took its snapshot of the map but has not polled yet is the
        race legacy had too: closing a dispatcher from another thread then.)"""
        thread = self.loop_thread
        return thread is None or thread is threading.current_thread() or not thread.is_alive()

    def cancel_unstarted(self, owner: Callable[[Job], bool]) -> List[Job]:
        """Cancel the queued jobs ``owner`` claims; they never run."""
        cancelled = [job for job in list(self._jobs) if not job.started and owner(job)]
        for job in cancelled:
            job.cancelled = True
        return cancelled

    # -- the asyncore face (the program's loop thread) --------------------------

    def fileno(self) -> int:
        return self._fd

    def readable(self) -> bool:
        self.loop_thread = threading.current_thread()
        return True

    def writable(self) -> bool:
        return False

    def handle_read_event(self) -> None:
        """Drain the wake-up bytes, then re-arm ``wake``, then run the queue.

        In that order: a ``wake`` between the drain and the re-arm sends nothing,
        and its job is already queued for the run below; re-arming first let such a
        wake's byte be drained with the flag left set, and every later ``wake`` was
        then silent: the queue stalled and ``close()`` never ended the loop."""
        self.loop_thread = threading.current_thread()
        try:
            self._reader.recv(4096)
        except OSError:
            pass
        with self._signal_lock:
            self._signalled = False
        self._close_retired()
        if self._closing:
            self._close_now()
            return
        self.run_jobs()

    def run_jobs(self) -> None:
        """Run what is queued; a loop-ending error leaves the loop from here."""
        self.running_jobs = True
        if self._jobs:
            for hook in list(self.busy_hooks):
                hook()
        try:
            while self._jobs:
                error = self._jobs.popleft().run()
                if error is not None:
                    raise error
        finally:
            self.running_jobs = False
        exc, self._pending_exit = self._pending_exit, None
        if exc is not None:
            raise exc

    def handle_write_event(self) -> None:
        pass

    def handle_expt_event(self) -> None:
        pass

    def handle_error(self) -> None:
        raise  # asyncore calls this inside ``except``: let the loop end with it

    def handle_close(self) -> None:
        self.close()

    def close(self) -> None:
        """Leave the map (the program's loop then returns if nothing else is in it).

        Off the program's thread its loop may be about to select() on our fds, and
        a closed fd there is EBADF: we stay in the map, wake the loop, and close on
        its thread (or when collected, if the map was cleared meanwhile)."""
        for job in self._jobs:
            job.cancelled = True
        self._closing = True
        if self.no_loop_can_be_polling():
            self._close_now()
        else:
            self.wake()

    def retire(self, resource: Any) -> None:
        """Close ``resource`` (a socket the program's loop may be polling) safely:
        now, or as a bare fd on the loop's thread (or when this runner is
        collected: a map cleared by ``asyncore.close_all()`` is never serviced)."""
        detach = getattr(resource, "detach", None)
        if self.no_loop_can_be_polling() or self._closed or detach is None:
            resource.close()
            return
        self._retired.append(detach())
        self.wake()

    def _close_retired(self) -> None:
        while self._retired:
            try:
                os.close(self._retired.pop())
            except (OSError, IndexError):
                pass

    def _close_now(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_retired()
        if self._map.get(self._fd) is self:
            del self._map[self._fd]
        self._reader.close()
        self._writer.close()

    def __del__(self) -> None:
        self._close_now()
        self._close_retired()


class WorkerPool:
    """``concurrency=N``: the threads user code of one server runs on.

    A queue and plain threads instead of ``ThreadPoolExecutor``: handing over a
    message costs one queue put, and shutdown joins against one deadline."""

    def __init__(self, size: int, name: str) -> None:
        self._queue: queue.SimpleQueue[Optional[Job]] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name="%s_%d" % (name, i), daemon=True)
            for i in range(max(1, size))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Job) -> None:
        self._queue.put(job)

    def _work(self) -> None:
        block_signals()
        while True:
            job = self._queue.get()
            if job is None:
                return
            job.run()

    def owns_current_thread(self) -> bool:
        return threading.current_thread() in self._threads

    def shutdown(self, timeout: float) -> None:
        """Stop the threads once queued work is done or cancelled; one deadline."""
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        me = threading.current_thread()
        for thread in self._threads:
            if thread is not me:
                thread.join(max(0.0, deadline - time.monotonic()))
